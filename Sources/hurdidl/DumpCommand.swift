import ArgumentParser
import Foundation
import HurdIDLCompiler
import HurdIDLSema
import HurdIDLSource
import HurdIDLSyntax

/// `hurdidl dump`: prints the compiler's intermediate values.
struct DumpCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dump",
    abstract: "Print an intermediate representation of .defs files.",
    subcommands: [DumpASTCommand.self, DumpModelCommand.self, DumpPlanCommand.self])
}

enum DumpFormat: String, ExpressibleByArgument, CaseIterable {
  case json, text
}

/// `hurdidl dump ast`: the syntax tree, as JSON (stable keys; every node's source range refers
/// to the `files` table by index) or as an indented text tree.
struct DumpASTCommand: ConsoleCommand {
  static let configuration = CommandConfiguration(commandName: "ast", abstract: "Print the syntax tree.")

  @OptionGroup var input: InputOptions

  @Option(help: "json or text.")
  var format: DumpFormat = .json

  /// The JSON document for one file.
  struct Document: Encodable {
    var file: String
    /// Paths of the source buffers, indexed by the `buffer` of every source location.
    var buffers: [String]
    var ast: DefsFile?
  }

  func execute(console: inout Console, arguments: [String] = CommandLine.arguments) throws -> Bool {
    let results = Driver(options: input, arguments: arguments).runFrontEnd(console: &console)
    for result in results {
      switch format {
      case .json:
        let document = Document(
          file: result.mainFile, buffers: result.sourceMap.buffers.map(\.path), ast: result.syntax)
        console.standardOutput += try JSONOutput.encode(document)
      case .text:
        console.standardOutput += "file \(result.mainFile)\n"
        if let syntax = result.syntax {
          console.standardOutput += TreeDump(sourceMap: result.sourceMap, mainFile: result.mainFile).render(syntax, indent: 1)
        }
      }
    }
    return results.contains { $0.hasErrors }
  }
}

/// `hurdidl dump model`: the checked interface sema produced, as JSON
/// (`{"file", "buffers", "model"}`; locations index `buffers`). Exit 1 and no model on errors.
struct DumpModelCommand: ConsoleCommand {
  static let configuration = CommandConfiguration(
    commandName: "model", abstract: "Print the checked interface (sema's output) as JSON.")

  @OptionGroup var input: InputOptions

  struct Document: Encodable {
    var file: String
    var buffers: [String]
    var model: CheckedInterface
  }

  func execute(console: inout Console, arguments: [String] = CommandLine.arguments) throws -> Bool {
    let results = Driver(options: input, arguments: arguments).check(console: &console)
    for result in results {
      guard let interface = result.interface else { continue }
      let document = Document(file: result.mainFile, buffers: result.sourceMap.buffers.map(\.path), model: interface)
      console.standardOutput += try JSONOutput.encode(document)
    }
    return results.contains { $0.hasErrors }
  }
}

/// `hurdidl dump plan --wire mach|l4`: the message plans of every routine, as JSON. The Mach
/// shape is normative (docs/plans.md): `{"subsystem": {"name", "base"}, "routines": [...]}`.
struct DumpPlanCommand: ConsoleCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan", abstract: "Print the message plans of every routine as JSON.")

  @OptionGroup var input: InputOptions

  @Option(help: "mach (GNU MIG 1.8's layout, byte for byte) or l4 (hurdidl's native layout).")
  var wire: WireFormat = .mach

  func execute(console: inout Console, arguments: [String] = CommandLine.arguments) throws -> Bool {
    let results = Driver(options: input, arguments: arguments).check(console: &console)
    for result in results {
      guard let interface = result.interface else { continue }
      switch wire {
      case .mach:
        // A type fragment has no messages to plan.
        guard let plan = Compiler.machPlan(interface) else { continue }
        console.standardOutput += try JSONOutput.encode(plan)
      case .l4:
        console.standardOutput += try JSONOutput.encode(Compiler.l4Plan(interface))
      }
    }
    return results.contains { $0.hasErrors }
  }
}

extension WireFormat: ExpressibleByArgument {}

/// The one JSON style of every dump: sorted keys, pretty-printed, no escaped slashes, a final
/// newline — stable enough to diff and to pin in goldens.
enum JSONOutput {
  static func encode(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
  }
}

/// A compact, deterministic text rendering of any value tree (the AST's value types), one node
/// per line: `name: Type` for aggregates, `name: value` for leaves; source ranges are shown as
/// `@line:column` on the node that owns them, prefixed by the file when it is not the main one.
struct TreeDump {
  let sourceMap: SourceMap
  let mainFile: String

  func render(_ value: Any, indent: Int) -> String {
    var out = ""
    write(value, label: nil, indent: indent, into: &out)
    return out
  }

  private func write(_ value: Any, label: String?, indent: Int, into out: inout String) {
    let mirror = Mirror(reflecting: value)
    let pad = String(repeating: "  ", count: indent)
    let prefix = label.map { "\($0): " } ?? ""
    if let range = value as? SourceRange {
      out += "\(pad)\(prefix)\(at(range))\n"
      return
    }
    switch mirror.displayStyle {
    case .optional:
      if let some = mirror.children.first {
        write(some.value, label: label, indent: indent, into: &out)
      }
    case .collection, .set:
      if mirror.children.isEmpty { return }
      out += "\(pad)\(prefix)[\(mirror.children.count)]\n"
      for child in mirror.children {
        write(child.value, label: nil, indent: indent + 1, into: &out)
      }
    case .enum where !mirror.children.isEmpty:
      let child = mirror.children.first!
      out += "\(pad)\(prefix).\(child.label ?? "")\n"
      let payload = Mirror(reflecting: child.value)
      if payload.displayStyle == .tuple {
        for element in payload.children {
          write(element.value, label: element.label.flatMap { $0.hasPrefix(".") ? nil : $0 }, indent: indent + 1, into: &out)
        }
      } else {
        write(child.value, label: nil, indent: indent + 1, into: &out)
      }
    case .struct, .class:
      let location = mirror.children.first { $0.label == "range" }?.value as? SourceRange
      let suffix = location.map { " " + at($0) } ?? ""
      let children = mirror.children.filter { $0.label != "range" }
      if children.count == 1, let only = children.first, Mirror(reflecting: only.value).children.isEmpty {
        out += "\(pad)\(prefix)\(describe(only.value))\(suffix)\n"
        return
      }
      out += "\(pad)\(prefix)\(typeName(value))\(suffix)\n"
      for child in children {
        write(child.value, label: child.label, indent: indent + 1, into: &out)
      }
    default:
      out += "\(pad)\(prefix)\(describe(value))\n"
    }
  }

  private func at(_ range: SourceRange) -> String {
    let start = range.start
    guard Int(start.buffer.rawValue) < sourceMap.buffers.count, sourceMap[start.buffer].path != mainFile else {
      return "@\(start.line):\(start.column)"
    }
    return "@\(sourceMap[start.buffer].path):\(start.line):\(start.column)"
  }

  private func typeName(_ value: Any) -> String {
    String(describing: type(of: value))
  }

  private func describe(_ value: Any) -> String {
    if let string = value as? String { return "\"\(string)\"" }
    return String(describing: value)
  }
}
