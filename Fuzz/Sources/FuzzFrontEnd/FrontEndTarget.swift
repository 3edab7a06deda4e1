import HurdIDLCompiler
import HurdIDLPreprocessor
import HurdIDLSource

/// libFuzzer entry point: the input is the main `.defs` file; two small include files exist so
/// `#include` paths get exercised too. Any crash, hang or diagnostic without a valid location
/// is a bug.
func fuzzFrontEnd(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let input = Array(UnsafeBufferPointer(start: data, count: size))
  let resolver = InMemoryIncludeResolver(bytes: [
    "main.defs": input,
    "inc/std.defs": Array("type int32 = MACH_MSG_TYPE_INTEGER_32;\n#define ROUTINE routine\n".utf8),
    "inc/self.defs": Array("#include <self.defs>\n".utf8),
  ])
  var options = PreprocessorOptions(includePaths: ["inc"])
  options.maxMacroExpansions = 100_000
  let result = FrontEnd.run(mainFile: "main.defs", options: options, resolver: resolver)
  for diagnostic in result.diagnostics {
    guard let location = diagnostic.location else { continue }
    let buffers = result.sourceMap.buffers
    precondition(Int(location.buffer.rawValue) < buffers.count, "diagnostic in an unknown buffer")
    precondition(location.line >= 1 && location.column >= 1, "diagnostic at an invalid position")
    // Buffers opened by `#line` have no text of their own; the others must contain the line.
    let buffer = buffers[Int(location.buffer.rawValue)]
    precondition(buffer.bytes.isEmpty || Int(location.line) <= buffer.lineStarts.count, "line past the end")
  }
  return 0
}
