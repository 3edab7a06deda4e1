import Foundation
import HurdIDLCCheck
import HurdIDLCompiler
import HurdIDLPreprocessor
import HurdIDLSource
import Testing

/// Reads include files from disk in GCC's search order.
struct FileSystemResolver: IncludeResolver {
  func resolve(name: String, isAngled: Bool, includer: String?, searchPaths: [String]) -> ResolvedFile? {
    for candidate in IncludeSearch.candidates(name: name, isAngled: isAngled, includer: includer, searchPaths: searchPaths) {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
        let data = FileManager.default.contents(atPath: candidate)
      else { continue }
      return ResolvedFile(path: candidate, bytes: Array(data))
    }
    return nil
  }
}

enum TestPaths {
  static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
  static let inputs = testsDirectory + "/Inputs"
  static let goldens = testsDirectory + "/Goldens"
  static let gnumachInclude = "/usr/include/x86_64-linux-gnu"
  static var updating: Bool { ProcessInfo.processInfo.environment["HURDIDL_UPDATE_GOLDENS"] == "1" }

  /// The 19 interfaces of Debian's gnumach-dev (its 6 type-only `.defs` files left out).
  static let gnumachInterfaces = [
    "device/device.defs", "device/device_reply.defs", "device/device_request.defs", "mach/bootstrap.defs",
    "mach/default_pager.defs", "mach/default_pager_helper.defs", "mach/exc.defs", "mach/experimental.defs",
    "mach/gnumach.defs", "mach/mach.defs", "mach/mach4.defs", "mach/mach_host.defs", "mach/mach_port.defs",
    "mach/memory_object.defs", "mach/memory_object_default.defs", "mach/notify.defs", "mach/task_notify.defs",
    "mach/x86_64/mach_i386.defs", "mach_debug/mach_debug.defs",
  ]
}

/// Front end, sema and the C check of one file, the way `hurdidl check --c-check` runs them.
func checkWithC(
  _ path: String, includePaths: [String] = [], options: CCheckOptions = CCheckOptions(),
  environment: [String: String] = ProcessInfo.processInfo.environment
) -> CheckedFile {
  let frontEnd = FrontEnd.run(
    mainFile: path, options: PreprocessorOptions(includePaths: includePaths), resolver: FileSystemResolver())
  return CCheck.run(Compiler.check(frontEnd), options: options, environment: environment)
}

/// Compares `text` with a golden file, or rewrites it under HURDIDL_UPDATE_GOLDENS=1.
func expectGolden(_ text: String, _ name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
  let url = URL(fileURLWithPath: TestPaths.goldens + "/" + name)
  if TestPaths.updating {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return
  }
  let expected = try String(contentsOf: url, encoding: .utf8)
  #expect(
    text == expected, "\(name) differs; review and regenerate with HURDIDL_UPDATE_GOLDENS=1 swift test --filter HurdIDLCImportTests",
    sourceLocation: sourceLocation)
}

struct ToolOutput {
  var standardOutput: String
  var standardError: String
  var status: Int32
}

/// Runs a program to completion; standard error goes to a file so neither pipe can fill up.
func runTool(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ToolOutput {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  if let environment { process.environment = environment }
  let output = Pipe()
  process.standardOutput = output
  let errorURL = FileManager.default.temporaryDirectory.appendingPathComponent("hurdidl-cimport-\(UUID().uuidString).err")
  _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
  defer { try? FileManager.default.removeItem(at: errorURL) }
  process.standardError = try FileHandle(forWritingTo: errorURL)
  try process.run()
  let data = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  let errors = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
  return ToolOutput(standardOutput: String(decoding: data, as: UTF8.self), standardError: errors, status: process.terminationStatus)
}

/// A scratch folder that exists for one test.
func scratchFolder() throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("hurdidl-cimport-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}
