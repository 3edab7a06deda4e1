import HurdIDLSource

/// One token of a macro's replacement list, with the operators that apply to it resolved at
/// definition time (as GCC does): `# param` becomes one stringizing element, and `##` becomes a
/// flag on its left operand.
struct BodyToken: Sendable {
  var token: PPToken
  /// Index of the parameter this token names, or -1.
  var parameter: Int
  /// `# parameter`: substitute the spelling of the argument as a string literal.
  var stringizes: Bool
  /// Followed by `##`: paste with the next element after substitution.
  var pastesWithNext: Bool
}

struct Macro: Sendable {
  var name: String
  /// Where the name stands in the `#define`.
  var location: SourceLocation
  var isFunctionLike: Bool
  var parameters: [String]
  /// The last parameter collects the remaining arguments (`...` or `name...`).
  var isVariadic: Bool
  var body: [BodyToken]

  /// C's rule for benign redefinition: same kind, parameters, tokens and whitespace separation.
  func hasSameDefinition(as other: Macro) -> Bool {
    guard isFunctionLike == other.isFunctionLike, parameters == other.parameters, isVariadic == other.isVariadic,
      body.count == other.body.count
    else { return false }
    for (index, (mine, theirs)) in zip(body, other.body).enumerated() {
      if mine.token.text != theirs.token.text || mine.parameter != theirs.parameter
        || mine.stringizes != theirs.stringizes || mine.pastesWithNext != theirs.pastesWithNext
      {
        return false
      }
      if index > 0, mine.token.hasLeadingSpace != theirs.token.hasLeadingSpace { return false }
    }
    return true
  }
}

/// A token in flight through macro expansion. `isPainted` is the "blue paint" of the C standard:
/// a macro name met inside its own expansion is never expanded again, even after rescanning.
struct FlowToken: Sendable {
  var token: PPToken
  var isPainted = false

  init(_ token: PPToken, isPainted: Bool = false) {
    self.token = token
    self.isPainted = isPainted
  }

  var text: String { token.text }
  func isPunctuator(_ spelling: String) -> Bool { token.kind == .punctuator && token.text == spelling }
}
