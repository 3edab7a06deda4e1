import Foundation
import HurdIDLPreprocessor
import HurdIDLSource
import Testing

/// Token-for-token agreement with `gcc -E -x c -undef -ansi -D__x86_64__ -D__LP64__` (our
/// default predefines play the role of those two `-D`s).
@Suite struct GCCConformanceTests {
  /// The 25 `.defs` files of Debian's gnumach-dev (19 interfaces, 6 type-only include files).
  static let gnumachFiles = [
    "device/device.defs", "device/device_reply.defs", "device/device_request.defs", "device/device_types.defs",
    "mach/bootstrap.defs", "mach/default_pager.defs", "mach/default_pager_helper.defs",
    "mach/default_pager_types.defs", "mach/exc.defs", "mach/experimental.defs", "mach/gnumach.defs",
    "mach/mach.defs", "mach/mach4.defs", "mach/mach_host.defs", "mach/mach_port.defs", "mach/mach_types.defs",
    "mach/memory_object.defs", "mach/memory_object_default.defs", "mach/notify.defs", "mach/std_types.defs",
    "mach/task_notify.defs", "mach/x86_64/mach_i386.defs", "mach/x86_64/machine_types.defs",
    "mach_debug/mach_debug.defs", "mach_debug/mach_debug_types.defs",
  ]

  static let flagSets: [[String]] = [
    [], ["-D__x86_64__"], ["-DKERNEL_SERVER", "-D__x86_64__"], ["-DKERNEL_USER", "-D__x86_64__"], ["-DSEQNOS"],
  ]

  @Test func toolsArePresent() {
    #expect(GCC.isAvailable, "gcc is missing: \(TestPaths.readmeHint)")
    for file in Self.gnumachFiles {
      #expect(
        FileManager.default.fileExists(atPath: TestPaths.gnumachInclude + "/" + file),
        "\(file) is missing: \(TestPaths.readmeHint)")
    }
  }

  @Test(arguments: gnumachFiles, flagSets)
  func gnumachFileMatchesGCC(file: String, flags: [String]) throws {
    let path = TestPaths.gnumachInclude + "/" + file
    try #require(GCC.isAvailable, "gcc is missing: \(TestPaths.readmeHint)")
    try #require(FileManager.default.fileExists(atPath: path), "\(path) is missing: \(TestPaths.readmeHint)")
    let arguments = flags + ["-I" + TestPaths.gnumachInclude]
    let gcc = try GCC.preprocess(path, arguments: arguments)
    try #require(gcc.status == 0, "gcc failed: \(gcc.errors)")
    let unit = Preprocessor.preprocess(
      mainFile: path, options: options(fromGCCArguments: arguments), resolver: FileSystemResolver())
    #expect(unit.diagnostics.isEmpty, "\(unit.diagnostics)")
    expectSameTokens(ours: unit.tokens.map(\.text), gcc: GCC.tokens(ofOutput: gcc.text), "\(file) \(flags)")
  }

  /// Our own inputs and the gcc flags each is run with (values with spaces, quotes and `;`
  /// included — passed as single arguments, as a shell would after quoting).
  static let tortureCases: [String: [String]] = [
    "c_standard_examples.defs": [],
    "function_macros.defs": [],
    "variadic.defs": [],
    "conditionals.defs": ["-DLEVEL=3", "-DNAME=kernel"],
    "continuation.defs": [],
    "keyword_macros.defs": ["-DKERNEL_USER"],
    "includes.defs": [],
    "command_line.defs": [
      "-DMSG=hello world; \"quoted\" 'c'", "-DEMPTY=", "-DONE", "-DTWICE=1", "-UTWICE", "-UNEVER", "-DLATE",
      "-ULATE", "-DLATE=late", "-DFN(a,b)=(a) + (b)",
    ],
    "recursion.defs": [],
    "line_and_builtins.defs": [],
    "char_and_numbers.defs": [],
    "imacros_user.defs": ["-imacros", "Inputs/torture/include/hooks.h"],
    "stringize.defs": [],
    "expressions.defs": [],
  ]

  @Test(arguments: tortureCases.keys.sorted())
  func tortureInputMatchesGCC(name: String) throws {
    try #require(GCC.isAvailable, "gcc is missing: \(TestPaths.readmeHint)")
    let directory = TestPaths.inputs + "/torture"
    let path = directory + "/" + name
    var arguments = (Self.tortureCases[name] ?? []) + ["-I" + directory + "/include"]
    if let index = arguments.firstIndex(of: "-imacros") {
      arguments[index + 1] = TestPaths.testsDirectory + "/" + arguments[index + 1]
    }
    let gcc = try GCC.preprocess(path, arguments: arguments)
    try #require(gcc.status == 0, "gcc failed on \(name): \(gcc.errors)")
    let unit = Preprocessor.preprocess(
      mainFile: path, options: options(fromGCCArguments: arguments), resolver: FileSystemResolver())
    #expect(!unit.hasErrors, "\(unit.diagnostics)")
    expectSameTokens(ours: unit.tokens.map(\.text), gcc: GCC.tokens(ofOutput: gcc.text), name)
  }
}
