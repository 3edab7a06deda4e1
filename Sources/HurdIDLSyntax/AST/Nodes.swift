public import HurdIDLSource

// The syntax tree of one `.defs` file (after preprocessing). Plain values: every node is
// Hashable, Sendable and Codable and carries the source range it was parsed from. Compare trees
// without positions with `withoutLocations()`.

/// A whole (preprocessed) file: its statements in order.
public struct DefsFile: Hashable, Sendable, Codable {
  public var statements: [Statement]
  public var range: SourceRange
  public init(statements: [Statement], range: SourceRange) {
    self.statements = statements
    self.range = range
  }
}

/// A name as written (identifiers are case-sensitive; keywords never appear here).
public struct Identifier: Hashable, Sendable, Codable {
  public var name: String
  public var range: SourceRange
  public init(_ name: String, range: SourceRange) {
    self.name = name
    self.range = range
  }
}

/// An unsigned 32-bit number literal (decimal, or hexadecimal as an extension).
public struct NumberLiteral: Hashable, Sendable, Codable {
  public var value: UInt32
  public var range: SourceRange
  public init(_ value: UInt32, range: SourceRange) {
    self.value = value
    self.range = range
  }
}

/// A value with the range it was written at (keywords such as directions and modifiers).
public struct Located<Value: Hashable & Sendable & Codable>: Hashable, Sendable, Codable {
  public var value: Value
  public var range: SourceRange
  public init(_ value: Value, range: SourceRange) {
    self.value = value
    self.range = range
  }
}

public enum Statement: Hashable, Sendable, Codable {
  case subsystem(SubsystemDecl)
  /// `serverprefix`, `userprefix`, `serverdemux` and the ignored `error` statement.
  case nameOption(NameOption)
  /// `waittime S;`, `nowaittime;`, `msgoption S;`.
  case messageOption(MessageOption)
  case `import`(ImportDecl)
  case rcsid(RCSIDDecl)
  case type(TypeDecl)
  case routine(RoutineDecl)
  case skip(SkipDecl)
  /// A lone `;`.
  case empty(SourceRange)

  public var range: SourceRange {
    switch self {
    case .subsystem(let node): node.range
    case .nameOption(let node): node.range
    case .messageOption(let node): node.range
    case .import(let node): node.range
    case .rcsid(let node): node.range
    case .type(let node): node.range
    case .routine(let node): node.range
    case .skip(let node): node.range
    case .empty(let range): range
    }
  }
}

/// `subsystem [KernelUser|KernelServer]… name base;`
public struct SubsystemDecl: Hashable, Sendable, Codable {
  public enum Modifier: String, Hashable, Sendable, Codable {
    case kernelUser = "KernelUser", kernelServer = "KernelServer"
  }
  public var modifiers: [Located<Modifier>]
  public var name: Identifier
  public var base: NumberLiteral
  public var range: SourceRange
  public init(modifiers: [Located<Modifier>], name: Identifier, base: NumberLiteral, range: SourceRange) {
    self.modifiers = modifiers
    self.name = name
    self.base = base
    self.range = range
  }
}

/// A statement whose operand is one identifier.
public struct NameOption: Hashable, Sendable, Codable {
  public enum Kind: String, Hashable, Sendable, Codable {
    case serverPrefix = "serverprefix", userPrefix = "userprefix", serverDemux = "serverdemux"
    /// `error proc;` — accepted and ignored, as by GNU MIG (removed upstream in 2023).
    case errorProcedure = "error"
  }
  public var kind: Kind
  public var name: Identifier
  public var range: SourceRange
  public init(kind: Kind, name: Identifier, range: SourceRange) {
    self.kind = kind
    self.name = name
    self.range = range
  }
}

/// `waittime S;`, `msgoption S;` (S copied verbatim into C) and `nowaittime;`.
public struct MessageOption: Hashable, Sendable, Codable {
  public enum Kind: String, Hashable, Sendable, Codable {
    case waitTime = "waittime", noWaitTime = "nowaittime", msgOption = "msgoption"
  }
  public var kind: Kind
  /// The operand; `nil` exactly for `nowaittime`.
  public var value: Located<String>?
  public var range: SourceRange
  public init(kind: Kind, value: Located<String>?, range: SourceRange) {
    self.kind = kind
    self.value = value
    self.range = range
  }
}

/// `import`, `uimport` or `simport` with a file name copied verbatim into an `#include`.
public struct ImportDecl: Hashable, Sendable, Codable {
  public enum Kind: String, Hashable, Sendable, Codable {
    case both = "import", user = "uimport", server = "simport"
  }
  public var kind: Kind
  /// With its delimiters: `"foo.h"` or `<mach/foo.h>`.
  public var fileName: Located<String>
  public var range: SourceRange
  public init(kind: Kind, fileName: Located<String>, range: SourceRange) {
    self.kind = kind
    self.fileName = fileName
    self.range = range
  }
}

/// `rcsid "…";` (the string keeps its quotes).
public struct RCSIDDecl: Hashable, Sendable, Codable {
  public var string: Located<String>
  public var range: SourceRange
  public init(string: Located<String>, range: SourceRange) {
    self.string = string
    self.range = range
  }
}

/// `skip;` or `skip N;` (N message ids left unused).
public struct SkipDecl: Hashable, Sendable, Codable {
  public var count: NumberLiteral?
  public var range: SourceRange
  public init(count: NumberLiteral?, range: SourceRange) {
    self.count = count
    self.range = range
  }
}

/// `name = type-spec annotation…` — the body of `type …;` and of an inline argument type.
public struct TypeDecl: Hashable, Sendable, Codable {
  public var name: Identifier
  public var spec: TypeSpec
  public var annotations: [Annotation]
  public var range: SourceRange
  public init(name: Identifier, spec: TypeSpec, annotations: [Annotation], range: SourceRange) {
    self.name = name
    self.spec = spec
    self.annotations = annotations
    self.range = range
  }
}

/// `ctype: T`, `intran: T f(S)`, … (applied left to right by sema).
public struct Annotation: Hashable, Sendable, Codable {
  public enum Kind: Hashable, Sendable, Codable {
    case cType(Identifier)
    case cUserType(Identifier)
    case cServerType(Identifier)
    /// `intran: transType function(serverType)`
    case inTran(transType: Identifier, function: Identifier, serverType: Identifier)
    /// `intranpayload: transType function`
    case inTranPayload(transType: Identifier, function: Identifier)
    /// `outtran: serverType function(transType)`
    case outTran(serverType: Identifier, function: Identifier, transType: Identifier)
    /// `destructor: function(transType)`
    case destructor(function: Identifier, transType: Identifier)
  }
  public var kind: Kind
  public var range: SourceRange
  public init(kind: Kind, range: SourceRange) {
    self.kind = kind
    self.range = range
  }
}

/// A type specification (right-hand side of `=`).
public struct TypeSpec: Hashable, Sendable, Codable {
  public indirect enum Kind: Hashable, Sendable, Codable {
    /// Short form: `NAME` or `NAME|NAME`.
    case ipc(IPCType)
    /// Long form: `(NAME, size, flags…)`.
    case longForm(ipc: IPCType, size: IntExpr, flags: [FlagUse])
    /// A previously declared type.
    case reference(Identifier)
    case array(bound: ArrayBound, element: TypeSpec)
    /// `struct[N] of T`
    case structArray(count: IntExpr, element: TypeSpec)
    /// `struct { T f; … }`
    case structure(members: [StructMember])
    /// `^T`
    case outOfLine(TypeSpec)
    case cString(CStringBound)
  }
  public var kind: Kind
  public var range: SourceRange
  public init(kind: Kind, range: SourceRange) {
    self.kind = kind
    self.range = range
  }
}

/// What stands between the brackets of `array[…]`.
public enum ArrayBound: Hashable, Sendable, Codable {
  /// `array[]`
  case unspecified
  /// `array[*]` (the same meaning as `[]`)
  case star
  /// `array[*:N]` — variable, at most N
  case bounded(IntExpr)
  /// `array[N]` — fixed
  case fixed(IntExpr)
}

/// `c_string[N]` or `c_string[*:N]`.
public enum CStringBound: Hashable, Sendable, Codable {
  case fixed(IntExpr)
  case variable(IntExpr)
}

/// `type-name field-name;` inside `struct { … }`.
public struct StructMember: Hashable, Sendable, Codable {
  public var type: Identifier
  public var name: Identifier
  public var range: SourceRange
  public init(type: Identifier, name: Identifier, range: SourceRange) {
    self.type = type
    self.name = name
    self.range = range
  }
}

/// `A` or `A|B`: the name sent and, if different, the name checked on receipt.
public struct IPCType: Hashable, Sendable, Codable {
  public var send: IPCName
  public var receive: IPCName?
  public var range: SourceRange
  public init(send: IPCName, receive: IPCName?, range: SourceRange) {
    self.send = send
    self.receive = receive
    self.range = range
  }
}

/// One side of an IPC type: a number, a `MACH_MSG_TYPE_*` name or `polymorphic`.
public struct IPCName: Hashable, Sendable, Codable {
  public enum Kind: Hashable, Sendable, Codable {
    case number(UInt32)
    case msgType(MsgTypeName)
    case polymorphic
  }
  public var kind: Kind
  public var range: SourceRange
  public init(kind: Kind, range: SourceRange) {
    self.kind = kind
    self.range = range
  }
}

/// An unsigned integer expression, kept as written; sema evaluates it (and reports division by
/// zero and overflow).
public struct IntExpr: Hashable, Sendable, Codable {
  public enum Operator: String, Hashable, Sendable, Codable {
    case add = "+", subtract = "-", multiply = "*", divide = "/"
  }
  public indirect enum Kind: Hashable, Sendable, Codable {
    case number(UInt32)
    case binary(Operator, IntExpr, IntExpr)
    case parenthesized(IntExpr)
  }
  public var kind: Kind
  public var range: SourceRange
  public init(kind: Kind, range: SourceRange) {
    self.kind = kind
    self.range = range
  }
}

/// An IPC flag on an argument or in a long-form type.
public enum IPCFlag: String, CaseIterable, Hashable, Sendable, Codable {
  case isLong = "islong", isNotLong = "isnotlong", dealloc, notDealloc = "notdealloc"
  case serverCopy = "servercopy", countInOut = "countinout", retCode = "retcode"
}

/// `flag` or `flag[]` (only meaningful for `dealloc[]`; sema warns otherwise).
public struct FlagUse: Hashable, Sendable, Codable {
  public var flag: IPCFlag
  public var isVariable: Bool
  public var range: SourceRange
  public init(flag: IPCFlag, isVariable: Bool, range: SourceRange) {
    self.flag = flag
    self.isVariable = isVariable
    self.range = range
  }
}

/// `routine` or `simpleroutine`.
public struct RoutineDecl: Hashable, Sendable, Codable {
  public enum Kind: String, Hashable, Sendable, Codable {
    case routine, simpleRoutine = "simpleroutine"
  }
  public var kind: Kind
  public var name: Identifier
  public var arguments: [Argument]
  public var range: SourceRange
  public init(kind: Kind, name: Identifier, arguments: [Argument], range: SourceRange) {
    self.kind = kind
    self.name = name
    self.arguments = arguments
    self.range = range
  }
}

public enum Direction: String, CaseIterable, Hashable, Sendable, Codable {
  case `in`, out, `inout`, requestPort = "requestport", replyPort = "replyport"
  case serverReplyPort = "sreplyport", userReplyPort = "ureplyport"
  case waitTime = "waittime", msgOption = "msgoption", msgSeqNo = "msgseqno"
}

/// `[direction] name : type {, flag}`.
public struct Argument: Hashable, Sendable, Codable {
  /// The type: a name, or an inline declaration `name = spec` local to this argument.
  public enum ArgumentType: Hashable, Sendable, Codable {
    case reference(Identifier)
    case inline(TypeDecl)
  }
  /// `nil` when written without a direction (the first such argument is the request port).
  public var direction: Located<Direction>?
  public var name: Identifier
  public var type: ArgumentType
  public var flags: [FlagUse]
  public var range: SourceRange
  public init(
    direction: Located<Direction>?, name: Identifier, type: ArgumentType, flags: [FlagUse], range: SourceRange
  ) {
    self.direction = direction
    self.name = name
    self.type = type
    self.flags = flags
    self.range = range
  }
}
