public import HurdIDLSource

/// GNU MIG's reserved words. All are case-insensitive (`ROUTINE`, `Type` and `In` are keywords);
/// the raw value is the lower-case spelling.
public enum Keyword: String, CaseIterable, Hashable, Sendable, Codable {
  // Statements.
  case subsystem, kernelUser = "kerneluser", kernelServer = "kernelserver"
  case serverPrefix = "serverprefix", userPrefix = "userprefix", serverDemux = "serverdemux"
  case rcsid, `import`, userImport = "uimport", serverImport = "simport"
  case type, routine, simpleRoutine = "simpleroutine", skip
  case waitTime = "waittime", noWaitTime = "nowaittime", msgOption = "msgoption", error
  // Argument directions (`waittime` and `msgoption` double as directions).
  case `in`, out, `inout`, requestPort = "requestport", replyPort = "replyport"
  case serverReplyPort = "sreplyport", userReplyPort = "ureplyport", msgSeqNo = "msgseqno"
  // Type constructors.
  case array, of, `struct`, cString = "c_string", polymorphic
  // Annotations.
  case cType = "ctype", cUserType = "cusertype", cServerType = "cservertype"
  case inTran = "intran", inTranPayload = "intranpayload", outTran = "outtran", destructor
  // IPC flags.
  case isLong = "islong", isNotLong = "isnotlong", dealloc, notDealloc = "notdealloc"
  case serverCopy = "servercopy", countInOut = "countinout", retCode = "retcode"

  private static let byLowercasedSpelling: [String: Keyword] = Dictionary(
    uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

  /// The keyword spelled `text` in any letter case, or `nil` for an ordinary identifier.
  public init?(spelling text: String) {
    // Keywords are ASCII; only identifiers of plausible length need lower-casing.
    guard text.utf8.count <= 14, let keyword = Self.byLowercasedSpelling[text.lowercased()] else { return nil }
    self = keyword
  }

  /// True for the keywords that can start a statement; the parser resynchronises on them.
  public var startsStatement: Bool {
    switch self {
    case .subsystem, .serverPrefix, .userPrefix, .serverDemux, .rcsid, .import, .userImport, .serverImport,
      .type, .routine, .simpleRoutine, .skip, .waitTime, .noWaitTime, .msgOption, .error:
      true
    default: false
    }
  }
}

/// The case-sensitive `MACH_MSG_TYPE_*` names GNU MIG's lexer knows.
public enum MsgTypeName: String, CaseIterable, Hashable, Sendable, Codable {
  case unstructured = "MACH_MSG_TYPE_UNSTRUCTURED", bit = "MACH_MSG_TYPE_BIT"
  case boolean = "MACH_MSG_TYPE_BOOLEAN", integer8 = "MACH_MSG_TYPE_INTEGER_8"
  case integer16 = "MACH_MSG_TYPE_INTEGER_16", integer32 = "MACH_MSG_TYPE_INTEGER_32"
  case integer64 = "MACH_MSG_TYPE_INTEGER_64", char = "MACH_MSG_TYPE_CHAR", byte = "MACH_MSG_TYPE_BYTE"
  case real = "MACH_MSG_TYPE_REAL", string = "MACH_MSG_TYPE_STRING", stringC = "MACH_MSG_TYPE_STRING_C"
  case moveReceive = "MACH_MSG_TYPE_MOVE_RECEIVE", copySend = "MACH_MSG_TYPE_COPY_SEND"
  case makeSend = "MACH_MSG_TYPE_MAKE_SEND", moveSend = "MACH_MSG_TYPE_MOVE_SEND"
  case makeSendOnce = "MACH_MSG_TYPE_MAKE_SEND_ONCE", moveSendOnce = "MACH_MSG_TYPE_MOVE_SEND_ONCE"
  case portName = "MACH_MSG_TYPE_PORT_NAME", portReceive = "MACH_MSG_TYPE_PORT_RECEIVE"
  case portSend = "MACH_MSG_TYPE_PORT_SEND", portSendOnce = "MACH_MSG_TYPE_PORT_SEND_ONCE"
  case polymorphic = "MACH_MSG_TYPE_POLYMORPHIC"
}

/// One MIG token.
public struct Token: Hashable, Sendable {
  public enum Kind: Hashable, Sendable {
    case identifier
    case keyword(Keyword)
    case msgTypeName(MsgTypeName)
    /// A decimal (or, as an extension, hexadecimal) number; out-of-range values are clamped
    /// after the lexer reported them.
    case number(UInt32)
    /// One of `: ; , + - * / ( ) = ^ ~ < > [ ] { } |`.
    case punctuation(Character)
    /// The operand of the `waittime`/`msgoption` statements: `[-/._$A-Za-z0-9]+`.
    case optionString
    /// The operand of `import`/`uimport`/`simport`: `"…"` or `<…>`, delimiters included.
    case fileName
    /// The operand of `rcsid`: `"…"`, quotes included.
    case quotedString
    case endOfFile
  }

  public var kind: Kind
  /// The spelling (for context tokens the rebuilt text).
  public var text: String
  public var range: SourceRange
  public var isAtStartOfLine: Bool

  public init(kind: Kind, text: String, range: SourceRange, isAtStartOfLine: Bool) {
    self.kind = kind
    self.text = text
    self.range = range
    self.isAtStartOfLine = isAtStartOfLine
  }

  public var location: SourceLocation { range.start }

  public var keyword: Keyword? {
    if case .keyword(let keyword) = kind { return keyword }
    return nil
  }

  public func isPunctuation(_ character: Character) -> Bool { kind == .punctuation(character) }

  /// How the token is named in "expected X, found Y" messages.
  public var quotedDescription: String {
    switch kind {
    case .identifier: "identifier '\(text)'"
    case .keyword: "keyword '\(text)'"
    case .msgTypeName: "'\(text)'"
    case .number: "number '\(text)'"
    case .punctuation: "'\(text)'"
    case .optionString, .fileName, .quotedString: "'\(text)'"
    case .endOfFile: "end of file"
    }
  }
}
