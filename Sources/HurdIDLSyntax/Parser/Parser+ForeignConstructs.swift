import HurdIDLSource

/// Constructs of other MIG dialects that GNU MIG (and so hurdidl) does not accept. They are
/// recognised so the error names them instead of saying "syntax error".
enum ForeignConstruct {
  /// Apple-only statements (bootstrap_cmds), by lower-cased spelling.
  static let appleStatements: Set<String> = [
    "sendtime", "nosendtime", "usespecialreplyport", "consumeonsenderror", "usertypelimit", "onstacklimit",
    "iimport", "dimport",
  ]
  /// Apple-only argument directions and trailer arguments.
  static let appleDirections: Set<String> = [
    "sendtime", "sectoken", "serversectoken", "usersectoken", "audittoken", "serveraudittoken",
    "useraudittoken", "servercontexttoken", "serverimpl", "userimpl",
  ]
  /// Apple-only IPC flags.
  static let appleFlags: Set<String> = ["samecount", "physicalcopy", "overwrite", "auto", "const"]
  /// Apple-only native type constructors (followed by `(`).
  static let appleTypeConstructors: Set<String> = ["pointerto", "pointertoifnot", "valueof"]
  /// Mach 2.5 statements with the modern replacement.
  static let historicStatements: [String: String] = [
    "procedure": "use 'routine'",
    "simpleprocedure": "use 'simpleroutine'",
    "function": "use a 'routine' with an 'out' argument",
    "camelotroutine": "use 'routine'",
    "msgtype": "message types are not declared in GNU MIG",
  ]
}

extension Parser {
  mutating func appleExtension(_ token: Token) -> ParseFailure {
    error(
      .appleMIGExtension, "'\(token.text)' is an Apple MIG extension, not supported by GNU MIG/hurdidl",
      at: token.location)
  }

  /// If the identifier at statement start is a known foreign statement, reports it.
  mutating func foreignStatement(_ token: Token) -> ParseFailure? {
    let spelling = token.text.lowercased()
    if ForeignConstruct.appleStatements.contains(spelling) { return appleExtension(token) }
    if let advice = ForeignConstruct.historicStatements[spelling] {
      return error(
        .historicConstruct,
        "'\(token.text)' is a historic MIG (Mach 2.5) construct, not supported by GNU MIG/hurdidl; \(advice)",
        at: token.location)
    }
    return nil
  }

  /// `SecToken t: …`, `ServerImpl x: …`, `msgtype m: …` at the start of an argument.
  mutating func foreignDirection(_ token: Token) -> ParseFailure? {
    guard token.kind == .identifier, peekSecond().kind == .identifier else { return nil }
    let spelling = token.text.lowercased()
    if ForeignConstruct.appleDirections.contains(spelling) { return appleExtension(token) }
    if spelling == "msgtype" {
      return error(
        .historicConstruct,
        "'\(token.text)' arguments are a historic MIG (Mach 2.5) construct, not supported by GNU MIG/hurdidl",
        at: token.location)
    }
    return nil
  }

  /// `PointerTo(…)`, `PointerToIfNot(…)`, `ValueOf(…)` as a type spec.
  mutating func foreignTypeConstructor(_ token: Token) -> ParseFailure? {
    guard token.kind == .identifier, ForeignConstruct.appleTypeConstructors.contains(token.text.lowercased()),
      peekSecond().isPunctuation("(")
    else { return nil }
    return appleExtension(token)
  }
}
