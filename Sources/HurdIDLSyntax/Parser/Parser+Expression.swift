import HurdIDLSource

extension Parser {
  /// `term {("+"|"-") term}`, left-associative.
  mutating func parseIntExpr() throws(ParseFailure) -> IntExpr {
    productions.record(.intExp)
    var result = try parseTerm()
    // Every operator deepens the left-leaning tree that sema and the printer walk recursively,
    // so operators count toward the nesting limit like parentheses do.
    var operators = 0
    defer { for _ in 0..<operators { leaveNested() } }
    while true {
      let token = peek()
      let op: IntExpr.Operator
      if token.isPunctuation("+") {
        op = .add
      } else if token.isPunctuation("-") {
        op = .subtract
      } else {
        return result
      }
      advance()
      try enterNested()
      operators += 1
      let rhs = try parseTerm()
      result = IntExpr(kind: .binary(op, result, rhs), range: SourceRange(start: result.range.start, end: rhs.range.end))
    }
  }

  /// `factor {("*"|"/") factor}`, left-associative.
  private mutating func parseTerm() throws(ParseFailure) -> IntExpr {
    productions.record(.term)
    var result = try parseFactor()
    var operators = 0
    defer { for _ in 0..<operators { leaveNested() } }
    while true {
      let token = peek()
      let op: IntExpr.Operator
      if token.isPunctuation("*") {
        op = .multiply
      } else if token.isPunctuation("/") {
        op = .divide
      } else {
        return result
      }
      advance()
      try enterNested()
      operators += 1
      let rhs = try parseFactor()
      result = IntExpr(kind: .binary(op, result, rhs), range: SourceRange(start: result.range.start, end: rhs.range.end))
    }
  }

  /// `number | "(" int-exp ")"`
  private mutating func parseFactor() throws(ParseFailure) -> IntExpr {
    productions.record(.factor)
    try enterNested()
    defer { leaveNested() }
    let token = peek()
    switch token.kind {
    case .number(let value):
      advance()
      return IntExpr(kind: .number(value), range: token.range)
    case .punctuation("("):
      advance()
      let inner = try parseIntExpr()
      try expect(")", "to close the parenthesised expression")
      return IntExpr(kind: .parenthesized(inner), range: range(from: token.location))
    case .punctuation("-"):
      throw error(
        .expectedToken, "expected a number or '(', found '-' (sizes are unsigned: there are no negative numbers)",
        at: token.location)
    default:
      throw expected("a number or '('")
    }
  }
}
