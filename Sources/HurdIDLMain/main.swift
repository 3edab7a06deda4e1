// The `hurdidl` executable. Its commands live in the HurdIDLCLI library (Sources/hurdidl) so that
// tests can import them: SwiftPM also links the build plugin's tool (this executable) into the
// test bundle, and an executable that tests imported would then be linked twice.
import HurdIDLCLI

HurdIDLCommand.main()
