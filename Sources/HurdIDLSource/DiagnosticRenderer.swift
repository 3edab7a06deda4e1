/// A diagnostic with every location turned into file, line and column: what the text renderer
/// prints and what `--diagnostics-format json` encodes.
public struct ResolvedDiagnostic: Hashable, Sendable, Codable {
  public struct Position: Hashable, Sendable, Codable {
    public var file: String
    public var line: Int
    public var column: Int
  }
  public struct Note: Hashable, Sendable, Codable {
    public var message: String
    public var position: Position?
  }

  public var severity: Diagnostic.Severity
  public var code: String
  public var message: String
  public var position: Position?
  /// The `#include` sites that led to `position`, innermost first.
  public var includedFrom: [Position]
  public var notes: [Note]
}

/// Renders diagnostics the way GCC and Clang do, so editors and build logs understand them:
///
///     In file included from top.defs:3:
///     mach/foo.defs:10:5: error: expected ';' after the type declaration, found 'routine' [missing-semicolon]
///        10 |     routine x(
///           |     ^
///     mach/foo.defs:2:9: note: in expansion of macro 'X'
public struct DiagnosticRenderer: Sendable {
  public let sourceMap: SourceMap
  /// Print the offending source line and a caret under the column.
  public var showsSourceLine: Bool
  /// Maps a buffer path to the path to print (e.g. relative to a golden case folder).
  public var displayPath: @Sendable (String) -> String

  public init(
    sourceMap: SourceMap, showsSourceLine: Bool = true,
    displayPath: @escaping @Sendable (String) -> String = { $0 }
  ) {
    self.sourceMap = sourceMap
    self.showsSourceLine = showsSourceLine
    self.displayPath = displayPath
  }

  public func position(_ location: SourceLocation) -> ResolvedDiagnostic.Position {
    let buffer = sourceMap[location.buffer]
    let path = buffer.kind == .file ? displayPath(buffer.path) : "<\(buffer.kind.rawValue)>"
    return .init(file: path, line: Int(location.line), column: Int(location.column))
  }

  /// Resolves locations: the primary position is where the user wrote the text (the outermost
  /// macro invocation); each macro expansion on the way becomes a note.
  public func resolve(_ diagnostic: Diagnostic) -> ResolvedDiagnostic {
    var notes: [ResolvedDiagnostic.Note] = []
    var primary: ResolvedDiagnostic.Position?
    var includes: [ResolvedDiagnostic.Position] = []
    if let location = diagnostic.location {
      let user = sourceMap.userLocation(location)
      primary = position(user)
      includes = sourceMap.includeChain(user.buffer).map(position)
      for expansion in sourceMap.expansionChain(location).reversed() {
        if let definition = expansion.definition {
          notes.append(
            .init(
              message: "in expansion of macro '\(expansion.macroName)' defined here",
              position: position(definition.spelling)))
        }
      }
    }
    for note in diagnostic.notes {
      notes.append(.init(message: note.message, position: note.location.map { position(sourceMap.userLocation($0)) }))
    }
    return ResolvedDiagnostic(
      severity: diagnostic.severity, code: diagnostic.code.rawValue, message: diagnostic.message,
      position: primary, includedFrom: includes, notes: notes)
  }

  /// GCC-style text, ending in a newline.
  public func render(_ diagnostic: Diagnostic) -> String {
    let resolved = resolve(diagnostic)
    var out = ""
    for (index, site) in resolved.includedFrom.enumerated() {
      out += index == 0 ? "In file included from " : "                 from "
      out += "\(site.file):\(site.line)"
      out += index == resolved.includedFrom.count - 1 ? ":\n" : ",\n"
    }
    out += line(resolved.position, diagnostic.severity.rawValue, "\(resolved.message) [\(resolved.code)]")
    if showsSourceLine, let location = diagnostic.location {
      out += snippet(sourceMap.userLocation(location))
    }
    for note in resolved.notes {
      out += line(note.position, "note", note.message)
    }
    return out
  }

  public func render(_ diagnostics: some Sequence<Diagnostic>) -> String {
    diagnostics.map(render).joined()
  }

  private func line(_ position: ResolvedDiagnostic.Position?, _ severity: String, _ message: String) -> String {
    guard let position else { return "hurdidl: \(severity): \(message)\n" }
    return "\(position.file):\(position.line):\(position.column): \(severity): \(message)\n"
  }

  /// The source line and a caret, with tabs kept so the caret lines up in a terminal.
  private func snippet(_ location: SourceLocation) -> String {
    let buffer = sourceMap[location.buffer]
    guard let text = buffer.lineText(location.line) else { return "" }
    let number = String(location.line)
    let gutter = String(repeating: " ", count: max(number.count, 4) - number.count) + number
    var caret = ""
    var column = 1
    for byte in text.utf8 {
      if column >= Int(location.column) { break }
      caret.append(byte == UInt8(ascii: "\t") ? "\t" : " ")
      column += 1
    }
    caret.append("^")
    let printable = String(text.unicodeScalars.map { $0.value < 0x20 && $0 != "\t" ? "?" : Character($0) })
    return "\(gutter) | \(printable)\n\(String(repeating: " ", count: gutter.count)) | \(caret)\n"
  }
}
