public import HurdIDLSource

// Every diagnostic the preprocessor emits has one of these codes; docs/preprocessor.md lists
// them with their severity. (The tokenizer's own codes live in Tokenizer.swift.)
extension DiagnosticCode {
  // Inputs and includes
  /// The main input file itself cannot be read (distinct from a missing `#include`).
  public static let missingInput: DiagnosticCode = "missing-input"
  public static let missingInclude: DiagnosticCode = "missing-include"
  public static let badInclude: DiagnosticCode = "bad-include"
  public static let includeCycle: DiagnosticCode = "include-cycle"
  public static let includeDepth: DiagnosticCode = "include-depth"
  public static let includeLimit: DiagnosticCode = "include-limit"
  // Conditionals
  public static let unterminatedConditional: DiagnosticCode = "unterminated-conditional"
  public static let unmatchedConditional: DiagnosticCode = "unmatched-conditional"
  public static let elseAfterElse: DiagnosticCode = "else-after-else"
  public static let extraTokens: DiagnosticCode = "extra-tokens"
  public static let badExpression: DiagnosticCode = "bad-expression"
  public static let divisionByZero: DiagnosticCode = "division-by-zero"
  public static let integerOverflow: DiagnosticCode = "integer-overflow"
  public static let largeInteger: DiagnosticCode = "large-integer"
  public static let multiCharacterConstant: DiagnosticCode = "multi-character-constant"
  // Macros
  public static let missingMacroName: DiagnosticCode = "missing-macro-name"
  public static let badMacroName: DiagnosticCode = "bad-macro-name"
  public static let badMacroParameters: DiagnosticCode = "bad-macro-parameters"
  public static let macroRedefined: DiagnosticCode = "macro-redefined"
  public static let stringizeNotParameter: DiagnosticCode = "stringize-not-parameter"
  public static let pasteAtEdge: DiagnosticCode = "paste-at-edge"
  public static let invalidPaste: DiagnosticCode = "invalid-paste"
  public static let macroArgumentCount: DiagnosticCode = "macro-argument-count"
  public static let unterminatedMacroCall: DiagnosticCode = "unterminated-macro-call"
  public static let recursiveMacro: DiagnosticCode = "recursive-macro"
  public static let macroExpansionLimit: DiagnosticCode = "macro-expansion-limit"
  // Other directives
  public static let errorDirective: DiagnosticCode = "error-directive"
  public static let warningDirective: DiagnosticCode = "warning-directive"
  public static let unknownDirective: DiagnosticCode = "unknown-directive"
  public static let badLineDirective: DiagnosticCode = "bad-line-directive"
  public static let pragmaIgnored: DiagnosticCode = "pragma-ignored"
  public static let badLineMarker: DiagnosticCode = "bad-line-marker"
}
