import ArgumentParser
import Foundation
import HurdIDLCompiler
import HurdIDLEmitter
import HurdIDLPreprocessor
import HurdIDLSource

extension EmitterOptions.AccessLevel: ExpressibleByArgument {}
extension NamingStyle: ExpressibleByArgument {}

/// `hurdidl generate`: `.defs` → Swift client stubs and server demux tables for the native L4
/// wire (docs/swift-mapping.md). One `<stem>.hurdidl.swift` per input; a file is written only
/// when its content changed, so builds that watch timestamps stay quiet.
struct GenerateCommand: ConsoleCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Generate Swift client stubs and server demux tables from .defs files.",
    discussion: "Without --client or --server both sides are generated into one file.")

  @OptionGroup var input: InputOptions

  @Option(name: .customLong("output-dir"), help: ArgumentHelp("Where the generated files go.", valueName: "dir"))
  var outputDirectory: String

  @Flag(help: "Generate the client side.")
  var client = false

  @Flag(help: "Generate the server side.")
  var server = false

  @Option(help: "Access level of the generated declarations: internal, package or public.")
  var accessLevel: EmitterOptions.AccessLevel = .internal

  @Option(help: "swift: Swift API names (dir_lookup → dirLookup); defs: the names as written.")
  var naming: NamingStyle = .swift

  /// Returns true when any input had an error (nothing is written for that input).
  func execute(console: inout Console, arguments: [String] = CommandLine.arguments) -> Bool {
    let driver = Driver(options: input, arguments: arguments)
    let results = driver.checkWithCTypes(console: &console)
    var failed = false
    var generated: [(input: String, file: GeneratedFile)] = []
    for (result, cTypes) in results {
      guard let interface = result.interface else {
        failed = true
        continue
      }
      let roots = input.includePaths + [IncludeSearch.directory(of: result.mainFile)]
      let display = Self.displayPath(result.mainFile, includeRoots: roots)
      var options = EmitterOptions(
        client: client || !server, server: server || !client, accessLevel: accessLevel, naming: naming,
        sourcePath: display,
        bufferPaths: EmitterOptions.bufferPaths(
          result.sourceMap, mainFile: result.mainFile, mainDisplayPath: display, includeRoots: roots))
      options.cTypes = input.cStructs ? cTypes : nil
      let file = SwiftEmitter.generate(interface: interface, plan: Compiler.l4Plan(interface), options: options)
      driver.report(file.diagnostics, sourceMap: result.sourceMap, console: &console)
      generated.append((display, file))
    }
    // Inputs with the same file name in different folders get their folders in the name.
    let names = generated.map(\.file.fileName)
    var written: [String: String] = [:]
    for (display, var file) in generated {
      if names.filter({ $0 == file.fileName }).count > 1 {
        let stem = display.hasSuffix(".defs") ? String(display.dropLast(".defs".count)) : display
        file.fileName = stem.replacingOccurrences(of: "/", with: "_") + ".hurdidl.swift"
      }
      // Folder names can still meet (`a_b/c.defs`, `a/b_c.defs`): never overwrite an output.
      if let other = written[file.fileName] {
        console.standardError +=
          "hurdidl: error: \(display) and \(other) would both be written to \(file.fileName); rename one of them\n"
        failed = true
        continue
      }
      written[file.fileName] = display
      do {
        try Self.writeIfChanged(file.contents, to: URL(filePath: outputDirectory).appending(path: file.fileName))
      } catch {
        console.standardError += "hurdidl: error: cannot write \(file.fileName) in \(outputDirectory): \(error)\n"
        failed = true
      }
    }
    return failed
  }

  /// The input relative to the first include root that holds it, else its file name.
  static func displayPath(_ path: String, includeRoots: [String]) -> String {
    for root in includeRoots where !root.isEmpty {
      let prefix = root.hasSuffix("/") ? root : root + "/"
      if path.hasPrefix(prefix) { return String(path.dropFirst(prefix.count)) }
    }
    return path.split(separator: "/").last.map(String.init) ?? path
  }

  static func writeIfChanged(_ contents: String, to url: URL) throws {
    let data = Data(contents.utf8)
    if let existing = try? Data(contentsOf: url), existing == data { return }
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: url, options: .atomic)
  }
}
