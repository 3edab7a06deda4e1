public import HurdIDLCTypes
internal import CLibClang
import Foundation

/// Where and how the C headers are parsed.
public struct CImportOptions: Hashable, Sendable {
  /// `-I` directories for `#include <…>` and `"…"`.
  public var includePaths: [String]
  /// `-iquote` directories for `#include "…"` only (the `.defs` file's folder, so a
  /// `import "x.h";` next to it is found).
  public var quoteIncludePaths: [String]
  /// `NAME` or `NAME=VALUE`, as `-D` takes them.
  public var defines: [String]
  /// `x86_64` (default), `i386`, or a full clang target triple.
  public var target: String
  /// Headers included before the requested ones, spelled `<x.h>` or `"x.h"`: what the C code
  /// around the interface includes anyway (GNU MIG's generated C starts with `<mach/message.h>`).
  public var preludeHeaders: [String]

  public static let defaultTarget = "x86_64"

  public init(
    includePaths: [String] = [], quoteIncludePaths: [String] = [], defines: [String] = [], target: String = defaultTarget,
    preludeHeaders: [String] = []
  ) {
    self.includePaths = includePaths
    self.quoteIncludePaths = quoteIncludePaths
    self.defines = defines
    self.target = target
    self.preludeHeaders = preludeHeaders
  }

  /// The clang target triple: the two short names map to the GNU/Linux triples, whose LP64 and
  /// ILP32 System V layouts are the GNU Hurd's, and whose multiarch include folders
  /// (`/usr/include/x86_64-linux-gnu`) hold Debian's gnumach-dev headers.
  public var triple: String {
    switch target {
    case "x86_64": "x86_64-pc-linux-gnu"
    case "i386", "i686": "i686-pc-linux-gnu"
    default: target
    }
  }

  var clangArguments: [String] {
    ["-x", "c", "-std=gnu11", "-target", triple]
      + includePaths.map { "-I" + $0 } + quoteIncludePaths.flatMap { ["-iquote", $0] } + defines.map { "-D" + $0 }
  }
}

/// What to import: headers spelled as in a `.defs` `import` (`<mach/time_value.h>`, `"x.h"`)
/// and the C type names to resolve in them (`time_value_t`, `unsigned`, `struct foo`).
public struct CImportRequest: Hashable, Sendable {
  public var headers: [String]
  public var typeNames: [String]
  public var options: CImportOptions

  public init(headers: [String], typeNames: [String], options: CImportOptions = CImportOptions()) {
    self.headers = headers
    self.typeNames = typeNames
    self.options = options
  }
}

public struct CImportResult: Hashable, Sendable {
  public var table: CTypeTable
  /// libclang's errors while parsing the headers, in its order.
  public var messages: [CParseMessage]
  /// Requested names that do not name a complete C type, in request order.
  public var notFound: [String]
  /// `clang_getClangVersion()` of the libclang that parsed the headers.
  public var libclangVersion: String

  public var hasErrors: Bool { messages.contains { $0.severity == .error } }
}

public enum CImportError: Error, Hashable, Sendable, CustomStringConvertible {
  case libclangUnavailable(LibClangUnavailable)
  /// libclang could not parse at all (an error code from `clang_parseTranslationUnit2`).
  case parseFailed(String)

  public var description: String {
    switch self {
    case .libclangUnavailable(let reason): reason.description
    case .parseFailed(let reason): reason
    }
  }
}

/// Parses C headers with libclang and builds the ``CTypeTable`` of the requested names.
///
/// The headers are `#include`d, in order, by one in-memory file that ends with one probe
/// `typedef NAME __hurdidl_probe_K;` per requested name, so any C type spelling resolves exactly as
/// the C compiler would resolve it, and a name that is no type makes its probe line fail.
public enum CImporter {
  static let probeFile = "/hurdidl-c-import/probe.c"
  static let probePrefix = "__hurdidl_probe_"

  public static func run(
    _ request: CImportRequest, environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws(CImportError) -> CImportResult {
    let clang: LibClang
    do { clang = try LibClang.load(environment: environment) } catch { throw .libclangUnavailable(error) }
    return try Session(clang: clang, request: request).run()
  }

  /// Whether a requested name can be written into the probe file without changing its meaning.
  static func isPlainTypeName(_ name: String) -> Bool {
    !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == " " || $0 == "*" }
      && name.allSatisfy(\.isASCII)
  }
}

/// One parse: the libclang objects live only inside ``run()``.
private struct Session {
  let clang: LibClang
  let request: CImportRequest
  var api: HurdIDLLibClang { clang.api }

  func run() throws(CImportError) -> CImportResult {
    // Prelude headers, then the requested ones, one line each, then the probes.
    let prelude = request.options.preludeHeaders
    var source = ""
    for header in prelude + request.headers {
      source += "#include \(header)\n"
    }
    let probeStart = prelude.count + request.headers.count + 1
    // Name K is probed on line probeStart + K; a name that is not plain gets an empty line.
    var probeOfLine: [Int: Int] = [:]
    for (index, name) in request.typeNames.enumerated() {
      guard CImporter.isPlainTypeName(name) else {
        source += "\n"
        continue
      }
      probeOfLine[probeStart + index] = index
      source += "typedef \(name) \(CImporter.probePrefix)\(index);\n"
    }

    let index = api.createIndex(0, 0)
    defer { api.disposeIndex(index) }
    let arguments = request.options.clangArguments + (clang.resourceDirectory.map { ["-resource-dir", $0] } ?? [])
    var unit: CXTranslationUnit?
    let skipFunctionBodies: UInt32 = 0x40
    let keepGoing: UInt32 = 0x200
    let status = source.withCString { contents in
      CImporter.probeFile.withCString { fileName in
        withCStrings(arguments) { argv in
          var unsaved = CXUnsavedFile(Filename: fileName, Contents: contents, Length: UInt(strlen(contents)))
          return api.parseTranslationUnit2(
            index, fileName, argv, Int32(arguments.count), &unsaved, 1, skipFunctionBodies | keepGoing, &unit)
        }
      }
    }
    guard status == 0, let unit else {
      throw .parseFailed(
        "libclang \(clang.version) (\(clang.path)) could not parse the headers (error \(status)); arguments: "
          + arguments.joined(separator: " "))
    }
    defer { api.disposeTranslationUnit(unit) }

    var messages: [CParseMessage] = []
    var failedProbes = Set<Int>()
    for number in 0..<api.getNumDiagnostics(unit) {
      guard let diagnostic = api.getDiagnostic(unit, number) else { continue }
      defer { api.disposeDiagnostic(diagnostic) }
      let severity = api.getDiagnosticSeverity(diagnostic)
      guard severity >= 3 else { continue }  // CXDiagnostic_Error, CXDiagnostic_Fatal
      let position = self.position(api.getDiagnosticLocation(diagnostic))
      if let position, position.file == CImporter.probeFile {
        if let probe = probeOfLine[position.line] {
          failedProbes.insert(probe)
          continue
        }
      }
      var message = CParseMessage(severity: .error, message: string(api.getDiagnosticSpelling(diagnostic)), position: position)
      if let position, position.file == CImporter.probeFile, position.line < probeStart {
        message.position = nil
        if position.line > prelude.count {
          message.headerIndex = position.line - 1 - prelude.count
        } else {
          message.message = "cannot include prelude header \(prelude[position.line - 1]): \(message.message)"
        }
      }
      messages.append(message)
    }

    var builder = TableBuilder(session: self)
    var count: UInt32 = 0
    let root = api.getTranslationUnitCursor(unit)
    if let children = withUnsafePointer(to: api, { hurdidl_libclang_children($0, root, &count) }) {
      defer { free(children) }
      for cursor in UnsafeBufferPointer(start: children, count: Int(count)) where cursor.kind == 20 {
        let name = string(api.getCursorSpelling(cursor))
        guard name.hasPrefix(CImporter.probePrefix), let probe = Int(name.dropFirst(CImporter.probePrefix.count)),
          request.typeNames.indices.contains(probe), !failedProbes.contains(probe)
        else { continue }
        let written = api.getTypedefDeclUnderlyingType(cursor)
        let canonical = builder.describe(api.getCanonicalType(written))
        guard builder.table.types[canonical]?.size != nil else { continue }  // incomplete: not a usable type
        let typeName = request.typeNames[probe]
        builder.table.names[typeName] = CNamedType(
          name: typeName, canonical: canonical, declaration: declarationPosition(api.getTypeDeclaration(written)))
      }
    }
    let notFound = request.typeNames.filter { builder.table.names[$0] == nil }
    return CImportResult(table: builder.table, messages: messages, notFound: notFound, libclangVersion: clang.version)
  }

  func string(_ value: CXString) -> String {
    defer { api.disposeString(value) }
    return api.getCString(value).map { String(cString: $0) } ?? ""
  }

  func position(_ location: CXSourceLocation) -> CSourcePosition? {
    var file = CXString()
    var line: UInt32 = 0
    var column: UInt32 = 0
    api.getPresumedLocation(location, &file, &line, &column)
    let path = string(file)
    return path.isEmpty ? nil : CSourcePosition(file: path, line: Int(line), column: Int(column))
  }

  /// The position of a declaration cursor; `nil` for "no declaration" (built-in types).
  func declarationPosition(_ cursor: CXCursor) -> CSourcePosition? {
    // CXCursor_FirstInvalid … CXCursor_LastInvalid (70…73): no declaration.
    guard !(70...73).contains(cursor.kind) else { return nil }
    return position(api.getCursorLocation(cursor))
  }
}

/// Describes canonical types into a table, each once (cycles through pointers stop at the
/// type already being described).
private struct TableBuilder {
  let session: Session
  var table = CTypeTable()
  var api: HurdIDLLibClang { session.api }

  /// Adds `type` (canonical) and what it is built from; returns its spelling.
  mutating func describe(_ type: CXType) -> String {
    let spelling = session.string(api.getTypeSpelling(type))
    guard table.types[spelling] == nil else { return spelling }
    let size = api.typeGetSizeOf(type)
    let alignment = api.typeGetAlignOf(type)
    var entry = CType(
      spelling: spelling, kind: .other, size: size >= 0 ? Int(size) : nil, alignment: alignment >= 0 ? Int(alignment) : nil)
    table.types[spelling] = entry  // placeholder: a self-referencing pointer ends here
    switch type.kind {
    case 3:
      entry.kind = .bool
    case 4...20:
      entry.kind = .integer
      entry.isSigned = Self.signedKinds.contains(type.kind)
    case 21...23, 30...32:
      entry.kind = .floatingPoint
    case 101:
      entry.kind = .pointer
      entry.element = describe(api.getCanonicalType(api.getPointeeType(type)))
    case 105:
      let declaration = api.getTypeDeclaration(type)
      entry.kind = api.getCursorKind(declaration) == 3 ? .union : .structure
      entry.declaration = session.declarationPosition(declaration)
      entry.fields = fields(of: type)
    case 106:
      let declaration = api.getTypeDeclaration(type)
      entry.kind = .enumeration
      entry.isSigned = Self.signedKinds.contains(api.getCanonicalType(api.getEnumDeclIntegerType(declaration)).kind)
      entry.declaration = session.declarationPosition(declaration)
    case 112, 114:
      entry.kind = .array
      entry.element = describe(api.getCanonicalType(api.getArrayElementType(type)))
      let count = api.getArraySize(type)
      entry.count = count >= 0 ? Int(count) : nil
    default:
      break
    }
    table.types[spelling] = entry
    return spelling
  }

  private mutating func fields(of record: CXType) -> [CField] {
    var count: UInt32 = 0
    guard let cursors = withUnsafePointer(to: api, { hurdidl_libclang_fields($0, record, &count) }) else { return [] }
    defer { free(cursors) }
    return UnsafeBufferPointer(start: cursors, count: Int(count)).map { cursor in
      let type = describe(api.getCanonicalType(api.getCursorType(cursor)))
      let isBitField = api.cursorIsBitField(cursor) != 0
      return CField(
        name: session.string(api.getCursorSpelling(cursor)), type: type,
        offsetInBits: Int(api.cursorGetOffsetOfField(cursor)),
        bitWidth: isBitField ? Int(api.getFieldDeclBitWidth(cursor)) : nil)
    }
  }

  /// Char_S, SChar, WChar, Short, Int, Long, LongLong, Int128.
  static let signedKinds: Set<Int32> = [13, 14, 15, 16, 17, 18, 19, 20]
}

/// Calls `body` with a C `argv` for `strings`, valid only during the call.
private func withCStrings<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> Result) -> Result {
  let copies = strings.map { strdup($0) }
  defer { copies.forEach { free($0) } }
  let pointers = copies.map { UnsafePointer($0) }
  return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
