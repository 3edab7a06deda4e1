import ArgumentParser
import HurdIDLCImport
import HurdIDLCTypes

/// `hurdidl import-c HEADER --type NAME…`: prints `.defs` type declarations whose wire layout is
/// the C types' (docs/c-import.md). Exit 1 when libclang is missing, the header has errors, or a
/// name is no C type with a `.defs` form.
struct ImportCCommand: ConsoleCommand {
  static let configuration = CommandConfiguration(
    commandName: "import-c",
    abstract: "Print .defs type declarations for C types of a header (needs libclang).")

  @Argument(help: "The C header (a path, or <name.h> to search the include path).")
  var header: String

  @Option(name: .customLong("type"), parsing: .upToNextOption, help: ArgumentHelp("C type names to declare.", valueName: "name"))
  var types: [String]

  @OptionGroup var cHeaders: CHeaderOptions

  func execute(console: inout Console, arguments: [String] = CommandLine.arguments) -> Bool {
    let spelled = CHeaderOptions.spelledHeader(header)
    let request = CImportRequest(headers: [spelled], typeNames: types, options: cHeaders.importOptions)
    let result: CImportResult
    do {
      result = try CImporter.run(request)
    } catch {
      console.standardError += "hurdidl: error: \(error.description)\n"
      return true
    }
    for message in result.messages {
      let place = message.position.map { "\($0): " } ?? "\(header): "
      console.standardError += "\(place)error: \(message.message) [c-header-error]\n"
    }
    var declarations = DefsDeclarations(table: result.table)
    for name in types {
      declarations.declare(name)
    }
    for name in declarations.unsupported {
      let reason = result.notFound.contains(name) ? "is not a C type declared by \(header)" : "has no .defs form"
      console.standardError += "hurdidl: error: '\(name)' \(reason)\n"
    }
    console.standardOutput += "/* .defs declarations of C types in \(header) for \(cHeaders.importOptions.target), by hurdidl import-c */\n\n"
    console.standardOutput += declarations.text
    return result.hasErrors || !declarations.unsupported.isEmpty
  }
}
