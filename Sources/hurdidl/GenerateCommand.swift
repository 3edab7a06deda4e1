import ArgumentParser
import Foundation
import HurdIDLCCheck
import HurdIDLCompiler
import HurdIDLEmitter
import HurdIDLPreprocessor
import HurdIDLSource

extension EmitterOptions.AccessLevel: ExpressibleByArgument {}
extension NamingStyle: ExpressibleByArgument {}
extension EmitterOptions.SharedDeclarations: ExpressibleByArgument {}

/// `hurdidl generate`: `.defs` → Swift client stubs and server demux tables for the native L4
/// wire (docs/swift-mapping.md). The decisions (settings, output names, what changed) are made by
/// `Generator` in HurdIDLCompiler; this command reads files, prints diagnostics and writes.
struct GenerateCommand: ConsoleCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Generate Swift client stubs and server demux tables from .defs files.",
    discussion: """
      Without --client or --server, the config file's "sides" decide, else both sides are \
      generated into one file. Flags override the config file (docs/config.md).
      """)

  @OptionGroup var input: InputOptions

  @Option(name: .customLong("output-dir"), help: ArgumentHelp("Where the generated files go (<stem>.hurdidl.swift each).", valueName: "dir"))
  var outputDirectory: String?

  @Option(name: .customLong("output"), help: ArgumentHelp("The exact output file (one input only; used by the build plugin).", valueName: "file"))
  var outputFile: String?

  @Option(help: ArgumentHelp("A hurdidl.json config file: sides, include paths, defines, access level, naming.", valueName: "file"))
  var config: String?

  @Flag(help: "Generate the client side.")
  var client = false

  @Flag(help: "Generate the server side.")
  var server = false

  @Option(
    help: """
      Where the declarations both sides use go: included (default: self-contained <stem>.hurdidl.swift), \
      only (<stem>.shared.hurdidl.swift) or omitted (<stem>.client.hurdidl.swift, …): client and \
      server in separate files of one module.
      """)
  var shared: EmitterOptions.SharedDeclarations = .included

  @Option(help: "Access level of the generated declarations: internal (default), package or public.")
  var accessLevel: EmitterOptions.AccessLevel?

  @Option(help: "swift (default): Swift API names (dir_lookup → dirLookup); defs: the names as written.")
  var naming: NamingStyle?

  @Option(
    name: .customLong("module-name"),
    help: ArgumentHelp(
      "The Swift module the generated files are compiled into: named in each header; a generated type named like it, or two inputs declaring the same type, is an error.",
      valueName: "name"))
  var moduleName: String?

  func validate() throws {
    if outputDirectory == nil && outputFile == nil {
      throw ValidationError("Missing expected argument '--output-dir <dir>' (or '--output <file>' for one input).")
    }
    if outputFile != nil && input.files.count != 1 {
      throw ValidationError("--output names one file, so it needs exactly one input (got \(input.files.count)).")
    }
    if let moduleName {
      guard Self.isSwiftIdentifier(moduleName) else {
        throw ValidationError("--module-name '\(moduleName)' is not a Swift module name (letters, digits and _, not starting with a digit).")
      }
      guard !SwiftEmitter.reservedModuleNames.contains(moduleName) else {
        throw ValidationError(
          "--module-name '\(moduleName)': generated code imports HurdRPC and qualifies names with HurdRPC. and Swift., so it cannot be compiled into a module of that name.")
      }
    }
  }

  /// Returns true when any input had an error (nothing is written for that input).
  func execute(console: inout Console, arguments: [String] = CommandLine.arguments) -> Bool {
    let driver = Driver(options: input, arguments: arguments)
    var settings = GenerationConfig()
    if let config {
      guard let loaded = loadConfig(config, driver: driver, console: &console) else { return true }
      settings = loaded
    }
    var preprocessorOptions = input.preprocessorOptions(arguments: arguments)
    if let config { preprocessorOptions = settings.applied(to: preprocessorOptions, configPath: config) }
    var request = GenerationRequest(
      inputs: driver.runFrontEnd(reporting: false, preprocessorOptions: preprocessorOptions, console: &console),
      includePaths: preprocessorOptions.includePaths,
      flags: GenerationFlags(client: client, server: server, shared: shared, accessLevel: accessLevel, naming: naming, moduleName: moduleName),
      config: settings, outputDirectory: outputDirectory ?? "", outputFile: outputFile)
    if let cOptions = input.cCheckOptions(config: settings, configPath: config) {
      request.cStage = { CCheck.runKeepingTypes($0, options: cOptions) }
      request.mapsCStructs = input.cStructs || settings.cStructs
    }
    let result = Generator.plan(request) { path in
      FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }
    for report in result.inputs {
      driver.report(report.diagnostics, sourceMap: report.sourceMap, console: &console)
    }
    for error in result.errors {
      console.standardError += "hurdidl: error: \(error)\n"
    }
    var failed = result.hasErrors
    for output in result.outputs where output.needsWrite {
      do {
        try Self.write(output.contents, to: URL(filePath: output.path))
      } catch {
        console.standardError += "hurdidl: error: cannot write \(output.path): \(error)\n"
        failed = true
      }
    }
    return failed
  }

  private func loadConfig(_ path: String, driver: Driver, console: inout Console) -> GenerationConfig? {
    guard let data = FileManager.default.contents(atPath: path) else {
      console.standardError += "hurdidl: error: cannot read the config file \(path)\n"
      return nil
    }
    let loaded = GenerationConfig.load(bytes: [UInt8](data), path: path)
    driver.report(loaded.diagnostics, sourceMap: loaded.sourceMap, console: &console)
    return loaded.config
  }

  /// A module name swiftc accepts: an ASCII identifier (`-module-name` rejects the rest).
  static func isSwiftIdentifier(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
      return false
    }
    return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil)) }
  }

  static func write(_ contents: String, to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(contents.utf8).write(to: url, options: .atomic)
  }
}
