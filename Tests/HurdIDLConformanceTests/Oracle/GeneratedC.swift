// A line-oriented reader for the C that GNU MIG generates. It does not parse C in general: it relies
// on the fixed shapes MIG prints (one declaration per line, `typedef struct {` … `} Request;`,
// descriptor templates `const mach_msg_type_t xType = {` … `};`), and reports anything else.

/// One member of a generated message struct.
struct CField: Sendable, Equatable {
  /// The C type as written (`mach_msg_type_t`, `const int`, `char`).
  var typeName: String
  var name: String
  /// `x[10]` → 10.
  var arrayLength: Int?
  var isPointer: Bool
  /// Members of one anonymous `union { … };` share a group number.
  var unionGroup: Int?
}

struct CStruct: Sendable, Equatable {
  var fields: [CField]
  /// The member lines between the braces, verbatim, for the layout probe.
  var body: [String]
}

/// `const mach_msg_type_t NAME = { … };` or the `mach_msg_type_long_t` form.
struct CTemplate: Sendable, Equatable {
  var name: String
  var isLong: Bool
  var initializer: [String]
}

/// `_Static_assert(sizeof(TYPE) == EXPR, …)`.
struct CStaticAssert: Sendable, Equatable {
  var typeName: String
  var expected: String
}

struct CFunction: Sendable {
  var lines: [String]
  var structs: [String: CStruct] = [:]
  var templates: [String: CTemplate] = [:]
  var staticAsserts: [CStaticAssert] = []

  var text: String { lines.joined(separator: "\n") }
}

struct GeneratedCFile: Sendable {
  /// Top-level `#include` lines, in order.
  var includes: [String] = []
  /// Stub functions by routine name (`/* Routine x */` or `/* SimpleRoutine x */` markers).
  var routines: [String: CFunction] = [:]
  /// Functions without a routine marker (the demux, default implementations).
  var otherFunctions: [CFunction] = []

  /// A template defined anywhere (the demux's `RetCodeType` lives outside the stubs).
  func template(named name: String) -> CTemplate? {
    for function in otherFunctions { if let found = function.templates[name] { return found } }
    return nil
  }
}

enum GeneratedCError: Error, Equatable {
  case malformed(String)
}

enum GeneratedCReader {
  static func read(_ text: String) throws(GeneratedCError) -> GeneratedCFile {
    var file = GeneratedCFile()
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var index = 0
    var pendingRoutine: String?
    while index < lines.count {
      let line = lines[index]
      let trimmed = line.trimmingSpaces
      if trimmed.hasPrefix("#") {
        if trimmed.hasPrefix("#include") { file.includes.append(trimmed) }
        // Skip continuation lines of multi-line macros.
        while index < lines.count, lines[index].hasSuffix("\\") { index += 1 }
        index += 1
        continue
      }
      if let name = routineMarker(trimmed) {
        pendingRoutine = name
        index += 1
        continue
      }
      if trimmed.hasPrefix("/* Default implementation") { pendingRoutine = nil }
      if trimmed == "{" {
        let end = try matchingClose(lines, openingAt: index)
        var function = CFunction(lines: Array(lines[index...end]))
        try scan(&function)
        if let name = pendingRoutine {
          file.routines[name] = function
          pendingRoutine = nil
        } else {
          file.otherFunctions.append(function)
        }
        index = end + 1
        continue
      }
      index += 1
    }
    return file
  }

  private static func routineMarker(_ trimmed: String) -> String? {
    for prefix in ["/* Routine ", "/* SimpleRoutine "] where trimmed.hasPrefix(prefix) && trimmed.hasSuffix(" */") {
      return String(trimmed.dropFirst(prefix.count).dropLast(3))
    }
    return nil
  }

  /// The line holding the `}` that closes the `{` on `lines[start]` (preprocessor lines ignored).
  private static func matchingClose(_ lines: [String], openingAt start: Int) throws(GeneratedCError) -> Int {
    var depth = 0
    for index in start..<lines.count {
      let line = lines[index]
      if line.trimmingSpaces.hasPrefix("#") { continue }
      for character in line.withoutComments {
        if character == "{" { depth += 1 }
        if character == "}" {
          depth -= 1
          if depth == 0 { return index }
        }
      }
    }
    throw .malformed("unbalanced braces from line \(start + 1)")
  }

  private static func scan(_ function: inout CFunction) throws(GeneratedCError) {
    let lines = function.lines
    var index = 0
    while index < lines.count {
      let trimmed = lines[index].trimmingSpaces
      if trimmed == "typedef struct {" {
        let end = try matchingClose(lines, openingAt: index)
        let closing = lines[end].trimmingSpaces
        let name = closing.dropFirst().dropLast().trimmingSpaces
        function.structs[name] = try parseStruct(Array(lines[(index + 1)..<end]))
        index = end + 1
        continue
      }
      for (prefix, isLong) in [("const mach_msg_type_t ", false), ("const mach_msg_type_long_t ", true)]
      where trimmed.hasPrefix(prefix) && trimmed.hasSuffix("= {") {
        let name = trimmed.dropFirst(prefix.count).dropLast(3).trimmingSpaces
        let end = try matchingClose(lines, openingAt: index)
        function.templates[name] = CTemplate(
          name: name, isLong: isLong, initializer: Array(lines[(index + 1)..<end]))
        index = end
      }
      if trimmed.hasPrefix("_Static_assert(sizeof("), let assert = parseStaticAssert(trimmed) {
        function.staticAsserts.append(assert)
      }
      index += 1
    }
  }

  private static func parseStaticAssert(_ trimmed: String) -> CStaticAssert? {
    let afterSizeof = trimmed.dropFirst("_Static_assert(sizeof(".count)
    guard let close = afterSizeof.firstIndex(of: ")") else { return nil }
    let typeName = String(afterSizeof[..<close])
    let rest = afterSizeof[afterSizeof.index(after: close)...].trimmingSpaces
    guard rest.hasPrefix("=="), let comma = rest.firstIndex(of: ",") else { return nil }
    let expected = rest[rest.index(rest.startIndex, offsetBy: 2)..<comma].trimmingSpaces
    return CStaticAssert(typeName: typeName, expected: expected)
  }

  private static func parseStruct(_ body: [String]) throws(GeneratedCError) -> CStruct {
    var fields: [CField] = []
    var unionGroup: Int?
    var unionCount = 0
    for line in body {
      let trimmed = line.trimmingSpaces
      if trimmed.isEmpty { continue }
      if trimmed == "union {" {
        unionGroup = unionCount
        unionCount += 1
        continue
      }
      if trimmed == "};" {
        unionGroup = nil
        continue
      }
      guard trimmed.hasSuffix(";") else { throw .malformed("unexpected struct member line: \(trimmed)") }
      fields.append(try parseMember(String(trimmed.dropLast()), unionGroup: unionGroup))
    }
    return CStruct(fields: fields, body: body)
  }

  private static func parseMember(_ declaration: String, unionGroup: Int?) throws(GeneratedCError) -> CField {
    guard let split = declaration.lastIndex(where: { $0 == " " || $0 == "\t" }) else {
      throw .malformed("cannot split member declaration: \(declaration)")
    }
    var typeName = declaration[..<split].trimmingSpaces
    var declarator = declaration[declaration.index(after: split)...].trimmingSpaces
    var isPointer = false
    while declarator.hasPrefix("*") {
      isPointer = true
      declarator.removeFirst()
    }
    while typeName.hasSuffix("*") {
      isPointer = true
      typeName = typeName.dropLast().trimmingSpaces
    }
    var arrayLength: Int?
    if let open = declarator.firstIndex(of: "["), declarator.hasSuffix("]") {
      let digits = declarator[declarator.index(after: open)..<declarator.index(before: declarator.endIndex)]
      guard let length = Int(digits) else { throw .malformed("array length in \(declaration)") }
      arrayLength = length
      declarator = String(declarator[..<open])
    }
    return CField(
      typeName: typeName, name: declarator, arrayLength: arrayLength, isPointer: isPointer,
      unionGroup: unionGroup)
  }
}

extension StringProtocol {
  var trimmingSpaces: String {
    var scalars = Substring(self)
    while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
    while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars.removeLast() }
    return String(scalars)
  }

  /// The line with `/* … */` comments removed (MIG writes them on one line).
  var withoutComments: String {
    var result = ""
    var rest = Substring(self)
    while let open = rest.range(of: "/*") {
      result += rest[..<open.lowerBound]
      guard let close = rest[open.upperBound...].range(of: "*/") else { return result }
      rest = rest[close.upperBound...]
    }
    return result + rest
  }
}
