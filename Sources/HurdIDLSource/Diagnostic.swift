/// A stable, documented identifier for one kind of diagnostic (for example `missing-include`).
/// Tests, goldens and `docs/diagnostics.md` refer to diagnostics by code, never by message text.
public struct DiagnosticCode: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral,
  CustomStringConvertible
{
  public let rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
  public init(stringLiteral value: String) { self.rawValue = value }
  public var description: String { rawValue }
}

/// One message from the compiler, with its location and attached notes.
public struct Diagnostic: Hashable, Sendable {
  public enum Severity: String, Hashable, Sendable, Codable, Comparable {
    case note, warning, error

    public static func < (lhs: Severity, rhs: Severity) -> Bool {
      lhs.rank < rhs.rank
    }
    private var rank: Int {
      switch self {
      case .note: 0
      case .warning: 1
      case .error: 2
      }
    }
  }

  /// A secondary message ("previously declared here", "expanded from macro …").
  public struct Note: Hashable, Sendable {
    public var message: String
    public var location: SourceLocation?
    public init(_ message: String, at location: SourceLocation? = nil) {
      self.message = message
      self.location = location
    }
  }

  public var severity: Severity
  public var code: DiagnosticCode
  public var message: String
  /// Where the problem is; `nil` for problems with no place in the text (e.g. "no input").
  public var location: SourceLocation?
  public var notes: [Note]

  public init(
    _ severity: Severity, _ code: DiagnosticCode, _ message: String,
    at location: SourceLocation?, notes: [Note] = []
  ) {
    self.severity = severity
    self.code = code
    self.message = message
    self.location = location
    self.notes = notes
  }

  public static func error(
    _ code: DiagnosticCode, _ message: String, at location: SourceLocation?, notes: [Note] = []
  ) -> Diagnostic {
    Diagnostic(.error, code, message, at: location, notes: notes)
  }

  public static func warning(
    _ code: DiagnosticCode, _ message: String, at location: SourceLocation?, notes: [Note] = []
  ) -> Diagnostic {
    Diagnostic(.warning, code, message, at: location, notes: notes)
  }

  public static func note(
    _ code: DiagnosticCode, _ message: String, at location: SourceLocation?, notes: [Note] = []
  ) -> Diagnostic {
    Diagnostic(.note, code, message, at: location, notes: notes)
  }
}

extension DiagnosticCode {
  /// Emitted once when ``DiagnosticBag/errorLimit`` errors have been reported.
  public static let tooManyErrors: DiagnosticCode = "too-many-errors"
}

/// Collects diagnostics in order. After `errorLimit` errors it records one `too-many-errors`
/// error and drops further errors (warnings and notes are still kept), so hostile input cannot
/// produce unbounded output.
public struct DiagnosticBag: Sendable {
  public private(set) var diagnostics: [Diagnostic] = []
  public private(set) var errorCount = 0
  public private(set) var warningCount = 0
  public let errorLimit: Int

  public init(errorLimit: Int = 200) {
    self.errorLimit = errorLimit
  }

  public var hasErrors: Bool { errorCount > 0 }
  /// True once the error limit was reached; stages may stop early.
  public var isSaturated: Bool { errorCount >= errorLimit }

  public mutating func emit(_ diagnostic: Diagnostic) {
    switch diagnostic.severity {
    case .error:
      if errorCount >= errorLimit { return }
      errorCount += 1
      diagnostics.append(diagnostic)
      if errorCount == errorLimit {
        diagnostics.append(
          .error(.tooManyErrors, "too many errors emitted, stopping now", at: diagnostic.location))
      }
    case .warning:
      warningCount += 1
      diagnostics.append(diagnostic)
    case .note:
      diagnostics.append(diagnostic)
    }
  }

  public mutating func emit(contentsOf other: some Sequence<Diagnostic>) {
    for diagnostic in other { emit(diagnostic) }
  }

  public mutating func error(
    _ code: DiagnosticCode, _ message: String, at location: SourceLocation?, notes: [Diagnostic.Note] = []
  ) {
    emit(.error(code, message, at: location, notes: notes))
  }

  public mutating func warning(
    _ code: DiagnosticCode, _ message: String, at location: SourceLocation?, notes: [Diagnostic.Note] = []
  ) {
    emit(.warning(code, message, at: location, notes: notes))
  }

  public mutating func note(
    _ code: DiagnosticCode, _ message: String, at location: SourceLocation?, notes: [Diagnostic.Note] = []
  ) {
    emit(.note(code, message, at: location, notes: notes))
  }
}
