import HurdIDLSource

/// An integer of the preprocessor: `intmax_t` or `uintmax_t` (64 bits).
struct PPValue: Equatable {
  var bits: UInt64
  var isUnsigned: Bool

  static func signed(_ value: Int64) -> PPValue { PPValue(bits: UInt64(bitPattern: value), isUnsigned: false) }
  static let zero = PPValue.signed(0)
  static let one = PPValue.signed(1)

  var signedValue: Int64 { Int64(bitPattern: bits) }
  var isTrue: Bool { bits != 0 }
}

/// Evaluates a macro-expanded `#if` expression with C's rules: intmax arithmetic, unsigned
/// promotion, short-circuit operators whose unevaluated side reports nothing. Errors stop the
/// evaluation (`evaluate` returns `nil`); the directive then counts as false.
struct ConditionEvaluator {
  private let tokens: [PPToken]
  private let directive: PPToken
  private var index = 0
  /// > 0 inside the unevaluated operand of `&&`, `||` or `?:`.
  private var skipping = 0
  private(set) var diagnostics: [Diagnostic] = []
  private var failed = false
  /// Nesting of parentheses, unary operators and `?:`, bounded so the recursion stays shallow.
  private var depth = 0
  private static let maxDepth = 256

  init(tokens: [PPToken], directive: PPToken) {
    self.tokens = tokens
    self.directive = directive
  }

  mutating func evaluate() -> Bool? {
    let value = parseExpression()
    if !failed, index < tokens.count {
      fail(missingOperatorMessage(tokens[index]), at: tokens[index].location)
    }
    return failed ? nil : value.isTrue
  }

  // MARK: Helpers

  private var current: PPToken? { index < tokens.count ? tokens[index] : nil }

  private func isPunctuator(_ text: String) -> Bool {
    guard let token = current else { return false }
    return token.kind == .punctuator && token.text == text
  }

  private var endLocation: SourceLocation { tokens.last?.location ?? directive.location }

  private mutating func fail(_ message: String, at location: SourceLocation) {
    guard !failed else { return }
    failed = true
    diagnostics.append(.error(.badExpression, message, at: location))
  }

  private mutating func warn(_ code: DiagnosticCode, _ message: String, at location: SourceLocation) {
    guard skipping == 0 else { return }
    diagnostics.append(.warning(code, message, at: location))
  }

  private func missingOperatorMessage(_ token: PPToken) -> String {
    if token.kind == .punctuator, [")", ":"].contains(token.text) {
      return "unexpected '\(token.text)' in #\(directive.text) expression"
    }
    return "missing binary operator before token '\(token.text)'"
  }

  // MARK: Grammar

  /// expression: conditional (',' conditional)*
  private mutating func parseExpression() -> PPValue {
    var value = parseConditional()
    while !failed, isPunctuator(",") {
      index += 1
      value = parseConditional()
    }
    return value
  }

  /// conditional: binary ('?' expression ':' conditional)?
  private mutating func parseConditional() -> PPValue {
    depth += 1
    defer { depth -= 1 }
    guard depth <= Self.maxDepth else {
      fail("#\(directive.text) expression nested too deeply", at: current?.location ?? endLocation)
      return .zero
    }
    let condition = parseBinary(minimumPrecedence: 1)
    guard !failed, isPunctuator("?") else { return condition }
    let question = tokens[index]
    index += 1
    if !condition.isTrue { skipping += 1 }
    let whenTrue = parseExpression()
    if !condition.isTrue { skipping -= 1 }
    guard !failed else { return .zero }
    guard isPunctuator(":") else {
      fail("'?' without following ':'", at: current?.location ?? question.location)
      return .zero
    }
    index += 1
    if condition.isTrue { skipping += 1 }
    let whenFalse = parseConditional()
    if condition.isTrue { skipping -= 1 }
    var result = condition.isTrue ? whenTrue : whenFalse
    result.isUnsigned = whenTrue.isUnsigned || whenFalse.isUnsigned
    return result
  }

  private static func precedence(_ token: PPToken) -> Int? {
    guard token.kind == .punctuator else { return nil }
    switch token.text {
    case "||": return 1
    case "&&": return 2
    case "|": return 3
    case "^": return 4
    case "&": return 5
    case "==", "!=": return 6
    case "<", ">", "<=", ">=": return 7
    case "<<", ">>": return 8
    case "+", "-": return 9
    case "*", "/", "%": return 10
    default: return nil
    }
  }

  private mutating func parseBinary(minimumPrecedence: Int) -> PPValue {
    var left = parseUnary()
    while !failed, let op = current, let precedence = Self.precedence(op), precedence >= minimumPrecedence {
      index += 1
      let shortCircuits = (op.text == "&&" && !left.isTrue) || (op.text == "||" && left.isTrue)
      if shortCircuits { skipping += 1 }
      if current == nil {
        fail("operator '\(op.text)' has no right operand", at: op.location)
        return .zero
      }
      let right = parseBinary(minimumPrecedence: precedence + 1)
      if shortCircuits { skipping -= 1 }
      guard !failed else { return .zero }
      left = apply(op, left, right)
    }
    return left
  }

  private mutating func parseUnary() -> PPValue {
    depth += 1
    defer { depth -= 1 }
    guard depth <= Self.maxDepth else {
      fail("#\(directive.text) expression nested too deeply", at: current?.location ?? endLocation)
      return .zero
    }
    guard let token = current else {
      fail("#\(directive.text) expression ends too early", at: endLocation)
      return .zero
    }
    if token.kind == .punctuator {
      switch token.text {
      case "+", "-", "~", "!":
        index += 1
        if current == nil {
          fail("operator '\(token.text)' has no right operand", at: token.location)
          return .zero
        }
        let operand = parseUnary()
        switch token.text {
        case "+": return operand
        case "-":
          if !operand.isUnsigned, operand.signedValue == .min {
            warn(.integerOverflow, "integer overflow in preprocessor expression", at: token.location)
          }
          return PPValue(bits: 0 &- operand.bits, isUnsigned: operand.isUnsigned)
        case "~": return PPValue(bits: ~operand.bits, isUnsigned: operand.isUnsigned)
        default: return operand.isTrue ? .zero : .one
        }
      case "(":
        index += 1
        if isPunctuator(")") {
          fail("missing expression between '(' and ')'", at: tokens[index].location)
          return .zero
        }
        let value = parseExpression()
        guard !failed else { return .zero }
        guard isPunctuator(")") else {
          fail("missing ')' in expression", at: current?.location ?? endLocation)
          return .zero
        }
        index += 1
        return value
      default:
        break
      }
    }
    index += 1
    switch token.kind {
    case .number: return parseNumber(token)
    case .characterLiteral: return parseCharacter(token)
    case .identifier: return .zero  // undefined identifiers are 0
    default:
      if token.kind == .punctuator, Self.precedence(token) != nil || token.text == "?" || token.text == ":" || token.text == ")" {
        fail("operator '\(token.text)' has no left operand", at: token.location)
      } else {
        fail("token '\(token.text)' is not valid in preprocessor expressions", at: token.location)
      }
      return .zero
    }
  }

  // MARK: Operators

  private mutating func apply(_ op: PPToken, _ left: PPValue, _ right: PPValue) -> PPValue {
    let isUnsigned = left.isUnsigned || right.isUnsigned
    func boolean(_ condition: Bool) -> PPValue { condition ? .one : .zero }
    switch op.text {
    case "||": return boolean(left.isTrue || right.isTrue)
    case "&&": return boolean(left.isTrue && right.isTrue)
    case "|": return PPValue(bits: left.bits | right.bits, isUnsigned: isUnsigned)
    case "^": return PPValue(bits: left.bits ^ right.bits, isUnsigned: isUnsigned)
    case "&": return PPValue(bits: left.bits & right.bits, isUnsigned: isUnsigned)
    case "==": return boolean(left.bits == right.bits)
    case "!=": return boolean(left.bits != right.bits)
    case "<", ">", "<=", ">=":
      let order: Int =
        isUnsigned
        ? (left.bits < right.bits ? -1 : left.bits == right.bits ? 0 : 1)
        : (left.signedValue < right.signedValue ? -1 : left.signedValue == right.signedValue ? 0 : 1)
      switch op.text {
      case "<": return boolean(order < 0)
      case ">": return boolean(order > 0)
      case "<=": return boolean(order <= 0)
      default: return boolean(order >= 0)
      }
    case "<<", ">>":
      return shift(left, by: right, leftward: op.text == "<<", at: op)
    case "+", "-", "*":
      if isUnsigned {
        let bits =
          op.text == "+" ? left.bits &+ right.bits : op.text == "-" ? left.bits &- right.bits : left.bits &* right.bits
        return PPValue(bits: bits, isUnsigned: true)
      }
      let (value, overflow) =
        op.text == "+"
        ? left.signedValue.addingReportingOverflow(right.signedValue)
        : op.text == "-"
          ? left.signedValue.subtractingReportingOverflow(right.signedValue)
          : left.signedValue.multipliedReportingOverflow(by: right.signedValue)
      if overflow { warn(.integerOverflow, "integer overflow in preprocessor expression", at: op.location) }
      return .signed(value)
    default:  // "/", "%"
      guard right.bits != 0 else {
        if skipping == 0 {
          failed = true
          diagnostics.append(.error(.divisionByZero, "division by zero in #\(directive.text)", at: op.location))
        }
        return .zero
      }
      if isUnsigned {
        return PPValue(bits: op.text == "/" ? left.bits / right.bits : left.bits % right.bits, isUnsigned: true)
      }
      let (value, overflow) =
        op.text == "/"
        ? left.signedValue.dividedReportingOverflow(by: right.signedValue)
        : left.signedValue.remainderReportingOverflow(dividingBy: right.signedValue)
      if overflow, op.text == "/" {
        warn(.integerOverflow, "integer overflow in preprocessor expression", at: op.location)
      }
      return .signed(overflow && op.text == "/" ? .min : value)
    }
  }

  /// GCC's shifts: a negative count shifts the other way; counts of 64 or more give 0 (or -1
  /// for a negative signed value shifted right). The result has the left operand's type.
  private mutating func shift(_ value: PPValue, by count: PPValue, leftward: Bool, at op: PPToken) -> PPValue {
    var leftward = leftward
    var amount: UInt64 = count.bits
    if !count.isUnsigned, count.signedValue < 0 {
      leftward.toggle()
      amount = count.signedValue == .min ? UInt64(1) << 63 : UInt64(-count.signedValue)
    }
    if leftward {
      guard amount < 64 else {
        if !value.isUnsigned, value.bits != 0 {
          warn(.integerOverflow, "integer overflow in preprocessor expression", at: op.location)
        }
        return PPValue(bits: 0, isUnsigned: value.isUnsigned)
      }
      let shifted = value.bits << amount
      if !value.isUnsigned, Int64(bitPattern: shifted) >> amount != value.signedValue {
        warn(.integerOverflow, "integer overflow in preprocessor expression", at: op.location)
      }
      return PPValue(bits: shifted, isUnsigned: value.isUnsigned)
    }
    if value.isUnsigned {
      return PPValue(bits: amount < 64 ? value.bits >> amount : 0, isUnsigned: true)
    }
    let clamped = amount < 64 ? Int64(amount) : 63
    return .signed(value.signedValue >> clamped)
  }

  // MARK: Constants

  private mutating func parseNumber(_ token: PPToken) -> PPValue {
    var digits = Substring(token.text)
    var suffix = Substring("")
    var radix: UInt64 = 10
    if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
      radix = 16
      digits = digits.dropFirst(2)
    } else if digits.hasPrefix("0b") || digits.hasPrefix("0B") {
      radix = 2
      digits = digits.dropFirst(2)
    } else if digits.hasPrefix("0") {
      radix = 8
    }
    // Split off the suffix: the first character that is not a digit of the radix.
    if let end = digits.firstIndex(where: { character in
      guard let digit = character.hexDigitValue else { return true }
      return radix != 16 && digit >= 10
    }) {
      suffix = digits[end...]
      digits = digits[..<end]
    }
    let lowerSuffix = suffix.lowercased()
    if radix != 16, suffix.first == "." || suffix.first == "e" || suffix.first == "E" {
      fail("floating constant in preprocessor expression", at: token.location)
      return .zero
    }
    if radix == 16, suffix.first == "." || suffix.first == "p" || suffix.first == "P" {
      fail("floating constant in preprocessor expression", at: token.location)
      return .zero
    }
    guard ["", "u", "l", "ul", "lu", "ll", "ull", "llu"].contains(lowerSuffix) else {
      fail("invalid suffix '\(suffix)' on integer constant", at: token.location)
      return .zero
    }
    if radix != 10, digits.isEmpty, radix != 8 {
      fail("invalid suffix '\(token.text.dropFirst())' on integer constant", at: token.location)
      return .zero
    }
    var value: UInt64 = 0
    var tooLarge = false
    for character in digits {
      let digit = UInt64(character.hexDigitValue ?? 0)
      guard digit < radix else {
        fail("invalid digit '\(character)' in \(radix == 8 ? "octal" : "binary") constant", at: token.location)
        return .zero
      }
      let (shifted, overflow1) = value.multipliedReportingOverflow(by: radix)
      let (sum, overflow2) = shifted.addingReportingOverflow(digit)
      if overflow1 || overflow2 { tooLarge = true }
      value = sum
    }
    if tooLarge {
      warn(.largeInteger, "integer constant is too large for its type", at: token.location)
    }
    var isUnsigned = lowerSuffix.contains("u")
    if !isUnsigned, value > UInt64(Int64.max) {
      if radix == 10 {
        warn(.largeInteger, "integer constant is so large that it is unsigned", at: token.location)
      }
      isUnsigned = true
    }
    return PPValue(bits: value, isUnsigned: isUnsigned)
  }

  /// `'a'`, `'\n'`, `'\377'` (a signed char, so -1), `'ab'` (multi-character, with a warning).
  private mutating func parseCharacter(_ token: PPToken) -> PPValue {
    let bytes = Array(token.text.utf8.dropFirst().dropLast())
    var values: [UInt8] = []
    var index = 0
    while index < bytes.count {
      var byte = bytes[index]
      index += 1
      if byte == UInt8(ascii: "\\"), index < bytes.count {
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "n"): byte = 10
        case UInt8(ascii: "t"): byte = 9
        case UInt8(ascii: "r"): byte = 13
        case UInt8(ascii: "a"): byte = 7
        case UInt8(ascii: "b"): byte = 8
        case UInt8(ascii: "f"): byte = 12
        case UInt8(ascii: "v"): byte = 11
        case UInt8(ascii: "e"), UInt8(ascii: "E"): byte = 27
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
          var value = UInt32(escape - UInt8(ascii: "0"))
          var count = 1
          while count < 3, index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(bytes[index]) {
            value = value * 8 + UInt32(bytes[index] - UInt8(ascii: "0"))
            index += 1
            count += 1
          }
          if value > 0xFF { warn(.largeInteger, "octal escape sequence out of range", at: token.location) }
          byte = UInt8(truncatingIfNeeded: value)
        case UInt8(ascii: "x"):
          var value: UInt64 = 0
          var count = 0
          while index < bytes.count, let digit = Character(Unicode.Scalar(bytes[index])).hexDigitValue {
            value = (value << 4) | UInt64(digit)
            index += 1
            count += 1
          }
          if count == 0 {
            fail("\\x used with no following hex digits", at: token.location)
            return .zero
          }
          if value > 0xFF || count > 16 { warn(.largeInteger, "hex escape sequence out of range", at: token.location) }
          byte = UInt8(truncatingIfNeeded: value)
        default:
          byte = escape  // \\ \' \" \? and unknown escapes stand for themselves
        }
      }
      values.append(byte)
    }
    guard !values.isEmpty else {
      fail("empty character constant", at: token.location)
      return .zero
    }
    if values.count == 1 {
      return .signed(Int64(Int8(bitPattern: values[0])))
    }
    // GCC: an int built from the characters, most significant first, truncated to 32 bits.
    if values.count > 4 {
      warn(.multiCharacterConstant, "character constant too long for its type", at: token.location)
    } else {
      warn(.multiCharacterConstant, "multi-character character constant", at: token.location)
    }
    var value: UInt32 = 0
    for byte in values { value = (value << 8) | UInt32(byte) }
    return .signed(Int64(Int32(bitPattern: value)))
  }
}
