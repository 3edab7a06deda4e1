/// A preprocessing token: what the preprocessor hands to the lexer. It carries its spelling and
/// its real origin, so every later diagnostic can point into the file the user wrote.
public struct PPToken: Hashable, Sendable {
  public enum Kind: UInt8, Hashable, Sendable, Codable {
    case identifier
    /// A C preprocessing number (`12`, `0x1f`, `1e5`); the lexer decides what MIG accepts.
    case number
    case characterLiteral
    case stringLiteral
    /// `<…>` or `"…"` after `#include`; also after `import` in MIG text (the lexer rebuilds it).
    case headerName
    case punctuator
    /// Any other byte (stray characters, binary garbage); the lexer reports it.
    case other
  }

  public var kind: Kind
  public var text: String
  public var location: SourceLocation
  /// Whitespace or a comment stood before this token on its line.
  public var hasLeadingSpace: Bool
  /// The first token of a (logical) line.
  public var isAtStartOfLine: Bool

  public init(
    kind: Kind, text: String, location: SourceLocation, hasLeadingSpace: Bool = false,
    isAtStartOfLine: Bool = false
  ) {
    self.kind = kind
    self.text = text
    self.location = location
    self.hasLeadingSpace = hasLeadingSpace
    self.isAtStartOfLine = isAtStartOfLine
  }

  /// The range this token covers in its spelling buffer (single line, byte columns).
  public var range: SourceRange {
    var end = location
    end.column += Int32(text.utf8.count)
    return SourceRange(start: location, end: end)
  }
}
