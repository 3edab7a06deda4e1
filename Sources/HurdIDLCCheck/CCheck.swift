import Foundation
public import HurdIDLCImport
public import HurdIDLCTypes
public import HurdIDLCompiler
public import HurdIDLSema
public import HurdIDLSource

extension DiagnosticCode {
  /// A type's C type has another size than the `.defs` declares for the wire.
  public static let cSizeMismatch: DiagnosticCode = "c-size-mismatch"
  /// An array's C element (or a pointer's pointee) has another size than the wire element.
  public static let cElementSizeMismatch: DiagnosticCode = "c-element-size-mismatch"
  /// A C type name the `.defs` uses is not declared by the imported headers.
  public static let cTypeNotFound: DiagnosticCode = "c-type-not-found"
  /// libclang reported an error in an imported header, or could not open it.
  public static let cHeaderError: DiagnosticCode = "c-header-error"
  /// libclang is not installed (or could not parse at all): nothing was checked.
  public static let cImportUnavailable: DiagnosticCode = "c-import-unavailable"
}

/// What the C check reads besides the checked interface.
public struct CCheckOptions: Hashable, Sendable {
  public var importOptions: CImportOptions
  /// Warn about C type names the headers do not declare (on when the user asked for C checking).
  public var reportsMissingTypes: Bool

  public init(importOptions: CImportOptions = CImportOptions(), reportsMissingTypes: Bool = true) {
    self.importOptions = importOptions
    self.reportsMissingTypes = reportsMissingTypes
  }
}

/// The C check: a stage after sema. It imports the headers a checked interface names (through
/// libclang, ``CImporter``) and compares every wire type with its C type (docs/c-import.md).
public enum CCheck {
  /// One `.defs` type to compare with C, and where to report about it.
  public struct Subject: Hashable, Sendable {
    public var type: ResolvedType
    /// The type's declaration, or the first argument using it (built-in types have no declaration).
    public var site: SourceRange?
    /// Its distinct C type names: user type, then server type.
    public var cNames: [String]
  }

  /// Imports the headers of `file`'s interface and appends the C check's diagnostics. A file that
  /// gains an error loses its interface, like a file with a sema error.
  public static func run(
    _ file: CheckedFile, options: CCheckOptions,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> CheckedFile {
    runKeepingTypes(file, options: options, environment: environment).file
  }

  /// ``run(_:options:environment:)``, also returning the C type table (for the Swift struct
  /// mapping); `nil` when nothing was imported.
  public static func runKeepingTypes(
    _ file: CheckedFile, options: CCheckOptions,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> (file: CheckedFile, cTypes: CTypeTable?) {
    guard let interface = file.interface else { return (file, nil) }
    let request = self.request(for: interface, mainFile: file.mainFile, options: options.importOptions)
    var result = file
    var table: CTypeTable?
    do {
      let imported = try CImporter.run(request, environment: environment)
      result.diagnostics += diagnose(
        interface, imported: imported, headers: request.headers, options: options, sourceMap: &result.frontEnd.sourceMap)
      table = imported.table
    } catch {
      result.diagnostics.append(
        .error(.cImportUnavailable, "C checking was requested but cannot run: \(error.description)", at: nil))
    }
    if result.hasErrors { result.interface = nil }
    return (result, table)
  }

  /// The libclang request for an interface: its `import`/`uimport`/`simport` headers in order,
  /// every C type name of ``subjects(of:)``; the `.defs` file's folder is searched for `"…"` headers.
  public static func request(for interface: CheckedInterface, mainFile: String, options: CImportOptions)
    -> CImportRequest
  {
    var headers: [String] = []
    for header in interface.imports.map(\.fileName) where !headers.contains(header) {
      headers.append(header)
    }
    var names: [String] = []
    for name in subjects(of: interface).flatMap(\.cNames) where !names.contains(name) {
      names.append(name)
    }
    var options = options
    let folder = (mainFile as NSString).deletingLastPathComponent
    options.quoteIncludePaths.append(folder.isEmpty ? "." : folder)
    return CImportRequest(headers: headers, typeNames: names, options: options)
  }

  /// The main file's named types, then every other named type a written argument uses, once each.
  public static func subjects(of interface: CheckedInterface) -> [Subject] {
    var subjects: [Subject] = []
    var seen = Set<ResolvedType>()
    func add(_ type: ResolvedType, site: SourceRange?) {
      guard type.origin != .anonymous, type.name != nil, seen.insert(type).inserted else { return }
      var names: [String] = []
      for name in [type.cUserType, type.cServerType].compactMap(\.self) where !names.contains(name) {
        names.append(name)
      }
      guard !names.isEmpty else { return }
      subjects.append(Subject(type: type, site: type.range ?? site, cNames: names))
    }
    for type in interface.types {
      add(type, site: type.range)
    }
    for routine in interface.routines {
      for argument in routine.arguments where argument.origin == .written {
        add(argument.type, site: argument.range)
      }
    }
    return subjects
  }

  /// Compares every subject with the imported C types. Pure: C header positions are added to
  /// `sourceMap` as buffers (without text) so notes can point into the headers.
  public static func diagnose(
    _ interface: CheckedInterface, imported: CImportResult, headers: [String], options: CCheckOptions,
    sourceMap: inout SourceMap
  ) -> [Diagnostic] {
    var positions = HeaderPositions()
    var diagnostics: [Diagnostic] = []
    for message in imported.messages {
      if let header = message.headerIndex, headers.indices.contains(header) {
        let site = interface.imports.first { $0.fileName == headers[header] }?.range.start
        diagnostics.append(.error(.cHeaderError, "cannot import \(headers[header]): \(message.message)", at: site))
      } else {
        diagnostics.append(
          .error(.cHeaderError, message.message, at: message.position.map { positions.location($0, in: &sourceMap) }))
      }
    }
    // A header with errors leaves types half-declared (clang recovers with `int`, empty structs):
    // comparing them would report mismatches that are not there.
    guard !imported.hasErrors else { return diagnostics }
    let target = options.importOptions.target
    for subject in subjects(of: interface) {
      let name = subject.type.name ?? ""
      for cName in subject.cNames {
        guard let cType = imported.table.resolve(cName) else {
          if options.reportsMissingTypes, imported.notFound.contains(cName) {
            diagnostics.append(
              .warning(
                .cTypeNotFound,
                "C type '\(cName)' of '\(name)' is not declared by the imported headers"
                  + (headers.isEmpty ? " (the interface imports none)" : " (\(headers.joined(separator: ", ")))"),
                at: subject.site?.start))
          }
          continue
        }
        let declared = imported.table.names[cName]?.declaration
        let note = Diagnostic.Note(
          "C type '\(cName)' is declared here: \(describe(cType)) on \(target)",
          at: declared.map { positions.location($0, in: &sourceMap) })
        if let problem = compare(subject.type, with: cType, table: imported.table) {
          diagnostics.append(
            .error(
              problem.code, "'\(name)' \(problem.wire) but its C type '\(cName)' \(problem.c) on \(target)",
              at: subject.site?.start, notes: [note]))
        }
      }
    }
    return diagnostics
  }

  struct Problem {
    var code: DiagnosticCode
    var wire: String
    var c: String
  }

  /// The first disagreement between a wire type and its C type, if any.
  static func compare(_ type: ResolvedType, with cType: CType, table: CTypeTable) -> Problem? {
    let totalBits = UInt64(type.sizeInBits) * UInt64(type.number)
    let isFixedInline = type.isInline && !type.isVariable && totalBits > 0 && totalBits % 8 == 0
    if isFixedInline, let size = cType.size, UInt64(size) != totalBits / 8 {
      return Problem(
        code: .cSizeMismatch, wire: "is \(CType.bytes(totalBits / 8)) on the wire\(shape(type))", c: "is \(CType.bytes(size))")
    }
    // Arrays: the C element must match the wire element, for fixed arrays written as C arrays and
    // for variable or out-of-line data passed as a C pointer or array.
    let isArrayLike = type.copySemantics != .assignment || type.isVariable || !type.isInline
    guard isArrayLike, cType.kind == .array || (cType.kind == .pointer && (type.isVariable || !type.isInline)),
      let cElement = cType.element.flatMap({ table.types[$0] }), let cElementSize = cElement.size,
      let wireElement = wireElementBytes(type)
    else { return nil }
    guard cElementSize != wireElement else { return nil }
    let what = cType.kind == .pointer ? "points to" : "has elements of"
    return Problem(
      code: .cElementSizeMismatch, wire: "has \(wireElement)-byte elements on the wire",
      c: "\(what) \(CType.bytes(cElementSize)) ('\(cElement.spelling)')")
  }

  /// Bytes of one array element on the wire: the element type's inline size, else the element size.
  static func wireElementBytes(_ type: ResolvedType) -> UInt64? {
    // A c_string's size is the whole string (GNU: one element of 8·N bits); its C element is a char.
    if type.isString { return 1 }
    if let element = type.elementType, element.isInline, !element.isVariable {
      let bits = UInt64(element.sizeInBits) * UInt64(element.number)
      if bits > 0, bits % 8 == 0 { return bits / 8 }
    }
    guard type.sizeInBits > 0, type.sizeInBits % 8 == 0 else { return nil }
    return UInt64(type.sizeInBits / 8)
  }

  /// ` (struct[3] of 4-byte elements)` for multi-element wire types.
  static func shape(_ type: ResolvedType) -> String {
    guard type.number > 1 else { return "" }
    let kind = type.copySemantics == .assignment ? "struct" : type.copySemantics == .string ? "c_string" : "array"
    return " (\(kind)[\(type.number)] of \(type.sizeInBits / 8)-byte elements)"
  }

  /// `struct time_value, 16 bytes, alignment 8`.
  static func describe(_ type: CType) -> String {
    var text = type.spelling
    if let size = type.size { text += ", " + CType.bytes(size) }
    if let alignment = type.alignment { text += ", alignment \(alignment)" }
    return text
  }
}

/// Buffers for C header positions, one per header path, so diagnostics and notes can point into
/// headers the `.defs` front end never read.
struct HeaderPositions {
  private var buffers: [String: BufferID] = [:]

  mutating func location(_ position: CSourcePosition, in sourceMap: inout SourceMap) -> SourceLocation {
    let buffer: BufferID
    if let known = buffers[position.file] {
      buffer = known
    } else {
      buffer = sourceMap.addBuffer(path: position.file, bytes: [])
      buffers[position.file] = buffer
    }
    return SourceLocation(buffer: buffer, line: Int32(clamping: position.line), column: Int32(clamping: position.column))
  }
}
