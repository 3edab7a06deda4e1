import HurdIDLSema

/// How one argument's value travels on the native L4 wire, decided from its checked type alone
/// (the message builder then decides words versus overflow and the item order).
enum L4Shape: Hashable, Sendable {
  /// Fixed-size inline data: packed into untyped words (or the overflow string).
  case data(L4DataFacts)
  /// One port right: one capability item.
  case capability(L4CapabilityFacts)
  /// An array of port rights: consecutive capability items, `perElement` per Count element.
  /// `fixedCount` for `array[N]`, else variable with `declaredMaximum` (nil when the `.defs`
  /// gives none).
  case capabilityRun(L4CapabilityFacts, perElement: Int, fixedCount: Int?, declaredMaximum: Int?)
  /// Variable inline data with a declared maximum (`array[*:N]`) or any `c_string`: a string item.
  case string(L4DataFacts, maximumElements: Int, isVariable: Bool, isText: Bool)
  /// `array[]`: string up to 2048 bytes, region above.
  case stringOrRegion(L4DataFacts)
  /// Out-of-line data (`^…`): a region item whose length travels with it.
  case region(L4DataFacts, isVariable: Bool)
}

/// Element facts of data. Sizes are per MIG element (`msgt_size`); a Count element is
/// `countMultiplier` MIG elements (`array[*:10] of quad` with `quad = array[4] of char`: 4).
struct L4DataFacts: Hashable, Sendable {
  var elementType: String
  var elementBits: Int
  /// Bytes per MIG element on the L4 wire (0 for bits).
  var elementBytes: Int
  var countMultiplier: Int
  /// MIG elements of fixed data; for variable data unused (the maximum is in the shape).
  var count: Int
  var encoding: L4Encoding
  var alignment: Int

  /// Bytes of `elements` MIG elements (bits are packed, LSB first).
  func byteSize(migElements elements: Int) -> Int {
    encoding == .bits ? (elements * elementBits + 7) / 8 : elements * elementBytes
  }
  /// Bytes of `elements` Count elements.
  func byteSize(countElements elements: Int) -> Int { byteSize(migElements: elements * countMultiplier) }
  var byteSize: Int { byteSize(migElements: count) }
}

struct L4CapabilityFacts: Hashable, Sendable {
  var disposition: L4Disposition
  var receivedRight: L4ReceivedRight
}

enum L4ShapeClassifier {
  /// Classifies `type` as used by an argument whose Count companion has `multiplier` (1 if none).
  static func shape(of type: ResolvedType, multiplier: Int) -> L4Shape {
    let unit = max(1, multiplier)
    let number = Int(type.number)
    if isCapability(type) {
      let facts = capabilityFacts(type)
      if type.isVariable {
        // `array[*:N]` declares N; `array[]` and `^array[]` declare nothing (their `number` is
        // MIG's inline limit or 0).
        let maximum = type.isInline && !type.isIndefinite ? number / unit : nil
        return .capabilityRun(facts, perElement: unit, fixedCount: nil, declaredMaximum: maximum)
      }
      // `^port` carries one right (GNU's out-of-line `number` is 0).
      if !type.isInline || number == 1 { return .capability(facts) }
      return .capabilityRun(facts, perElement: 1, fixedCount: number, declaredMaximum: nil)
    }
    var facts = dataFacts(type, unit: unit)
    if !type.isInline {
      return .region(facts, isVariable: type.isVariable)
    }
    if type.isString {
      // c_string: the text without its NUL; a `c_string[N]` holds at most N − 1 characters. Text
      // travels as bytes, whatever the declared element: gnumach's `dev_name_t` is
      // `(MACH_MSG_TYPE_STRING_C, 8*128)`, one 1024-bit element, so also 127 characters.
      let bytes = number * facts.elementBytes
      facts.encoding = .bytes
      facts.elementBits = 8
      facts.elementBytes = 1
      facts.count = bytes
      return .string(facts, maximumElements: max(0, bytes - 1), isVariable: type.isVariable, isText: true)
    }
    if type.isIndefinite {
      return .stringOrRegion(facts)
    }
    if type.isVariable {
      return .string(facts, maximumElements: number / unit, isVariable: true, isText: false)
    }
    return .data(facts)
  }

  /// Port rights and polymorphic names travel as capabilities; `PORT_NAME` is plain data.
  static func isCapability(_ type: ResolvedType) -> Bool {
    type.inName.isPortRight || type.outName.isPortRight || type.isPolymorphic
  }

  static func capabilityFacts(_ type: ResolvedType) -> L4CapabilityFacts {
    let disposition: L4Disposition =
      switch type.inName.value {
      case 16: .moveReceive
      case 17: .moveSend
      case 18: .moveSendOnce
      case 19: .copySend
      case 20: .makeSend
      case 21: .makeSendOnce
      default: .runtime
      }
    let right: L4ReceivedRight =
      switch type.outName.portRight ?? type.inName.portRight {
      case .receive: .receive
      case .send: .send
      case .sendOnce: .sendOnce
      case .name, nil: .any
      }
    return L4CapabilityFacts(disposition: disposition, receivedRight: right)
  }

  static func dataFacts(_ type: ResolvedType, unit: Int) -> L4DataFacts {
    let bits = Int(type.sizeInBits)
    let spelling = type.inName.spelling
    let layout = structLayout(of: type)
    let encoding: L4Encoding
    let elementBytes: Int
    if layout != nil {
      encoding = .structure
      elementBytes = bits / 8
    } else if spelling == "MACH_MSG_TYPE_BOOLEAN" && bits > 0 {
      encoding = .boolean
      elementBytes = 1
    } else if bits % 8 != 0 {
      encoding = .bits
      elementBytes = 0
    } else if [8, 16, 32, 64].contains(bits) {
      encoding = .integer
      elementBytes = bits / 8
    } else {
      encoding = .bytes
      elementBytes = bits / 8
    }
    var alignment = alignment(elementBytes: elementBytes)
    if let layout { alignment = max(alignment, min(8, Int(layout.alignmentInBytes))) }
    return L4DataFacts(
      elementType: spelling, elementBits: bits, elementBytes: elementBytes, countMultiplier: unit,
      count: Int(type.number), encoding: encoding, alignment: alignment)
  }

  /// The GNU `struct {…}` layout along the element chain (`type s = struct {…}`,
  /// `struct[2] of s`, `type t = s` all have one).
  static func structLayout(of type: ResolvedType) -> StructLayout? {
    var current: ResolvedType? = type
    var depth = 0
    while let candidate = current, depth < 64 {
      if let layout = candidate.structLayout { return layout }
      current = candidate.elementType
      depth += 1
    }
    return nil
  }

  /// Natural alignment: the largest power of two dividing the element size, at most 8.
  static func alignment(elementBytes: Int) -> Int {
    guard elementBytes > 0 else { return 1 }
    var result = 1
    while result < 8 && elementBytes % (result * 2) == 0 { result *= 2 }
    return result
  }
}
