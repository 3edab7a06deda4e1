import Foundation

/// Numbers read from GNU MIG's descriptor templates after the C compiler evaluated them.
struct TemplateValues: Sendable, Equatable {
  var name: Int
  var size: Int
  var number: Int
  var inline: Bool
  var longform: Bool
  var deallocate: Bool
}

struct FieldLayout: Sendable, Equatable {
  var offset: Int
  var size: Int
}

/// What the probe program printed.
struct ProbeResults: Sendable {
  var structSizes: [Int] = []
  var fields: [[FieldLayout]] = []
  var templates: [TemplateValues] = []
  var expressions: [Int] = []
}

/// Builds one C program that reproduces GNU MIG's message structs and descriptor templates, compiles
/// it with gcc and runs it: the C compiler's own `offsetof`/`sizeof` and constant values, without
/// hand-written knowledge of the Mach headers.
struct LayoutProbe {
  private(set) var includes: [String] = []
  private var structs: [CStruct] = []
  private var templates: [CTemplate] = []
  private var expressions: [String] = []

  mutating func addIncludes(_ lines: [String]) {
    for line in lines where !includes.contains(line) { includes.append(line) }
  }

  mutating func addStruct(_ value: CStruct) -> Int {
    structs.append(value)
    return structs.count - 1
  }

  mutating func addTemplate(_ value: CTemplate) -> Int {
    templates.append(value)
    return templates.count - 1
  }

  mutating func addExpression(_ expression: String) -> Int {
    expressions.append(expression)
    return expressions.count - 1
  }

  func source(typedefs: [String]) -> String {
    var out = ["#define EXPORT_BOOLEAN", "#include <stdio.h>", "#include <stddef.h>"]
    out += typedefs
    out += includes
    out.append("#pragma pack(push,4)")
    for (index, value) in structs.enumerated() {
      out.append("typedef struct {")
      out += value.body
      out.append("} Probe\(index);")
    }
    out.append("#pragma pack(pop)")
    for (index, value) in templates.enumerated() {
      let type = value.isLong ? "mach_msg_type_long_t" : "mach_msg_type_t"
      out.append("static const \(type) Template\(index) = {")
      out += value.initializer
      out.append("};")
    }
    out.append("int main(void) {")
    for (index, value) in structs.enumerated() {
      out.append("  printf(\"S %zu\\n\", sizeof(Probe\(index)));")
      for field in value.fields {
        let member = "Probe\(index), \(field.name)"
        let size = "sizeof(((Probe\(index) *)0)->\(field.name))"
        out.append("  printf(\"F \(index) %zu %zu\\n\", offsetof(\(member)), \(size));")
      }
    }
    for (index, value) in templates.enumerated() {
      let fields =
        value.isLong
        ? ["msgtl_name", "msgtl_size", "msgtl_number", "msgtl_header.msgt_inline",
          "msgtl_header.msgt_longform", "msgtl_header.msgt_deallocate"]
        : ["msgt_name", "msgt_size", "msgt_number", "msgt_inline", "msgt_longform", "msgt_deallocate"]
      let arguments = fields.map { "(unsigned) Template\(index).\($0)" }.joined(separator: ", ")
      out.append("  printf(\"T %u %u %u %u %u %u\\n\", \(arguments));")
    }
    for expression in expressions {
      out.append("  printf(\"E %lld\\n\", (long long) (\(expression)));")
    }
    out.append("  return 0;")
    out.append("}")
    return out.joined(separator: "\n") + "\n"
  }

  /// Compiles and runs the probe in `directory`. Headers gcc cannot find become empty stubs; type
  /// names no header declares are declared by `synthesize` (and reported back).
  func run(
    in directory: URL, includeDirectories: [String], defines: [String],
    synthesize: (String) -> String
  ) throws(OracleError) -> (results: ProbeResults, synthesized: [String]) {
    let stubs = directory.appendingPathComponent("probe-stubs")
    let sourceURL = directory.appendingPathComponent("probe.c")
    let binaryURL = directory.appendingPathComponent("probe")
    var synthesized: [String] = []
    var typedefs: [String] = []
    let arguments =
      ["-std=gnu11", "-w", "-o", binaryURL.path, sourceURL.path, "-I", stubs.path]
      + includeDirectories.flatMap { ["-I", $0] } + defines
    // Each round fixes at least one missing header or type; the bound only stops a runaway loop.
    for _ in 0..<64 {
      try ToolRunner.writeText(source(typedefs: typedefs), to: sourceURL)
      let compile = try ToolRunner.run(
        MIGOracle.gccPath, arguments, in: directory, label: "gcc", environment: ["LC_ALL": "C"])
      if compile.status == 0 {
        let run = try ToolRunner.run(binaryURL.path, [], in: directory, label: "probe")
        guard run.status == 0 else {
          throw .toolFailed(command: binaryURL.path, status: run.status, output: run.standardError)
        }
        return (try parse(run.standardOutput), synthesized)
      }
      let diagnostics = compile.standardError
      if let header = Self.missingHeader(in: diagnostics) {
        let stub = stubs.appendingPathComponent(header)
        do {
          try FileManager.default.createDirectory(
            at: stub.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
          throw .unexpectedOutput("cannot create \(stub.path): \(error)")
        }
        try ToolRunner.writeText("/* stub written by the oracle's layout probe */\n", to: stub)
        continue
      }
      let unknown = Self.unknownTypeNames(in: diagnostics).filter { !synthesized.contains($0) }
      guard !unknown.isEmpty else {
        throw .toolFailed(
          command: "gcc " + arguments.joined(separator: " "), status: compile.status, output: diagnostics)
      }
      for name in unknown {
        synthesized.append(name)
        typedefs.append(synthesize(name))
      }
    }
    throw .unexpectedOutput("layout probe still does not compile after 64 rounds")
  }

  private static func missingHeader(in diagnostics: String) -> String? {
    for line in diagnostics.split(separator: "\n") where line.hasSuffix(": No such file or directory") {
      guard let marker = line.range(of: "fatal error: ") else { continue }
      let rest = line[marker.upperBound...].dropLast(": No such file or directory".count)
      return String(rest)
    }
    return nil
  }

  private static func unknownTypeNames(in diagnostics: String) -> [String] {
    var names: [String] = []
    for line in diagnostics.split(separator: "\n") {
      guard let marker = line.range(of: "error: unknown type name '") else { continue }
      let name = line[marker.upperBound...].prefix { $0 != "'" }
      if !names.contains(String(name)) { names.append(String(name)) }
    }
    return names
  }

  private func parse(_ output: String) throws(OracleError) -> ProbeResults {
    var results = ProbeResults()
    for line in output.split(separator: "\n") {
      let words = line.split(separator: " ")
      let numbers = words.dropFirst().compactMap { Int($0) }
      guard numbers.count == words.count - 1 else { throw .unexpectedOutput("probe line \(line)") }
      switch words.first {
      case "S":
        results.structSizes.append(numbers[0])
        results.fields.append([])
      case "F":
        results.fields[numbers[0]].append(FieldLayout(offset: numbers[1], size: numbers[2]))
      case "T":
        results.templates.append(
          TemplateValues(
            name: numbers[0], size: numbers[1], number: numbers[2], inline: numbers[3] != 0,
            longform: numbers[4] != 0, deallocate: numbers[5] != 0))
      case "E":
        results.expressions.append(numbers[0])
      default:
        throw .unexpectedOutput("probe line \(line)")
      }
    }
    guard results.structSizes.count == structs.count, results.templates.count == templates.count,
      results.expressions.count == expressions.count
    else { throw .unexpectedOutput("probe printed an incomplete answer") }
    return results
  }
}
