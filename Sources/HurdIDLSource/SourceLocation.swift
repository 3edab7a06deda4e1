/// Identifies one *inclusion* of a source buffer: a file included twice gets two ids, so every
/// location knows the include chain that led to it.
public struct BufferID: Hashable, Sendable, Codable, Comparable {
  public let rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }
  public static func < (lhs: BufferID, rhs: BufferID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Identifies one macro expansion recorded in a ``SourceMap``.
public struct ExpansionID: Hashable, Sendable, Codable {
  public let rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }
}

/// A position in a source buffer: 1-based line and 1-based byte column, plus the macro expansion
/// that produced the token at this position (if any). Sixteen bytes, no heap.
public struct SourceLocation: Hashable, Sendable, Codable {
  public var buffer: BufferID
  public var line: Int32
  public var column: Int32
  /// The innermost macro expansion this token came out of; `nil` when it was written directly.
  public var expansion: ExpansionID?

  public init(buffer: BufferID, line: Int32, column: Int32, expansion: ExpansionID? = nil) {
    self.buffer = buffer
    self.line = line
    self.column = column
    self.expansion = expansion
  }

  /// The same position without macro-expansion information.
  public var spelling: SourceLocation {
    SourceLocation(buffer: buffer, line: line, column: column)
  }
}

/// A half-open range `[start, end)` of source text.
public struct SourceRange: Hashable, Sendable, Codable {
  public var start: SourceLocation
  public var end: SourceLocation

  public init(start: SourceLocation, end: SourceLocation) {
    self.start = start
    self.end = end
  }

  public init(_ location: SourceLocation) {
    self.init(start: location, end: location)
  }

  /// The smallest range covering both.
  public func extended(to other: SourceRange) -> SourceRange {
    SourceRange(start: start, end: other.end)
  }
}
