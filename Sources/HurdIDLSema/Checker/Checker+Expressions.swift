import HurdIDLSource
import HurdIDLSyntax

extension Checker {
  /// Evaluates a size expression in unsigned 32-bit arithmetic, reporting what GNU MIG lets wrap
  /// (negative results, overflow) or crashes on (division by zero). `nil` after an error.
  mutating func evaluate(_ expression: IntExpr) -> UInt32? {
    switch expression.kind {
    case .number(let value):
      return value
    case .parenthesized(let inner):
      return evaluate(inner)
    case .binary(let op, let lhs, let rhs):
      let left = evaluate(lhs)
      let right = evaluate(rhs)
      guard let left, let right else { return nil }
      switch op {
      case .add:
        let (sum, overflow) = left.addingReportingOverflow(right)
        if overflow {
          diagnostics.error(
            .sizeOverflow, "'\(Self.spelling(expression))' = \(UInt64(left) + UInt64(right)) does not fit in 32 bits (GNU MIG wraps it)",
            at: expression.range.start)
          return nil
        }
        return sum
      case .subtract:
        if right > left {
          diagnostics.error(
            .negativeSize,
            "'\(Self.spelling(expression))' is negative (\(Int64(left) - Int64(right))); GNU MIG computes it unsigned as \(left &- right)",
            at: expression.range.start)
          return nil
        }
        return left - right
      case .multiply:
        let (product, overflow) = left.multipliedReportingOverflow(by: right)
        if overflow {
          diagnostics.error(
            .sizeOverflow,
            "'\(Self.spelling(expression))' = \(UInt64(left) * UInt64(right)) does not fit in 32 bits (GNU MIG wraps it)",
            at: expression.range.start)
          return nil
        }
        return product
      case .divide:
        if right == 0 {
          diagnostics.error(
            .divisionByZero, "division by zero in '\(Self.spelling(expression))' (GNU MIG crashes with SIGFPE)", at: rhs.range.start)
          return nil
        }
        return left / right
      }
    }
  }

  /// The expression as written (parentheses are tree nodes).
  static func spelling(_ expression: IntExpr) -> String {
    switch expression.kind {
    case .number(let value): String(value)
    case .parenthesized(let inner): "(" + spelling(inner) + ")"
    case .binary(let op, let lhs, let rhs): spelling(lhs) + " " + op.rawValue + " " + spelling(rhs)
    }
  }
}
