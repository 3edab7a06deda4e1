/// The productions of `Grammar/defs.ebnf`, named exactly as there. The parser records which ones
/// it entered (when asked to), so a test can check that the grammar and the parser agree.
public enum Production: String, CaseIterable, Hashable, Sendable, Codable {
  // Syntax.
  case file
  case statement
  case subsystemStatement = "subsystem-statement"
  case subsystemModifier = "subsystem-modifier"
  case serverPrefixStatement = "serverprefix-statement"
  case userPrefixStatement = "userprefix-statement"
  case serverDemuxStatement = "serverdemux-statement"
  case importStatement = "import-statement"
  case rcsidStatement = "rcsid-statement"
  case waitTimeStatement = "waittime-statement"
  case noWaitTimeStatement = "nowaittime-statement"
  case msgOptionStatement = "msgoption-statement"
  case errorStatement = "error-statement"
  case typeStatement = "type-statement"
  case routineStatement = "routine-statement"
  case skipStatement = "skip-statement"
  case emptyStatement = "empty-statement"
  case namedType = "named-type"
  case annotation
  case typeSpec = "type-spec"
  case ipcType = "ipc-type"
  case primIPC = "prim-ipc"
  case longFormType = "long-form-type"
  case typeReference = "type-reference"
  case arrayType = "array-type"
  case arrayBound = "array-bound"
  case structArrayType = "struct-array-type"
  case structType = "struct-type"
  case structMember = "struct-member"
  case outOfLineType = "out-of-line-type"
  case cStringType = "c-string-type"
  case intExp = "int-exp"
  case term
  case factor
  case argList = "arg-list"
  case argument
  case direction
  case argType = "arg-type"
  case flagUse = "flag-use"
  case flag
  // Lexical classes (recorded by the lexer).
  case identifier
  case number
  case decimalNumber = "decimal-number"
  case hexNumber = "hex-number"
  case msgTypeName = "msg-type-name"
  case optionString = "option-string"
  case fileName = "file-name"
  case quotedString = "quoted-string"
}

/// Collects entered productions; does nothing unless enabled, so ordinary parses pay one branch.
struct ProductionRecorder: Sendable {
  let isEnabled: Bool
  private(set) var entered: Set<Production> = []

  init(isEnabled: Bool) { self.isEnabled = isEnabled }

  mutating func record(_ production: Production) {
    if isEnabled { entered.insert(production) }
  }

  mutating func merge(_ other: ProductionRecorder) {
    if isEnabled { entered.formUnion(other.entered) }
  }
}
