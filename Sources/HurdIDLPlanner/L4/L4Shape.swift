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
  case string(L4DataFacts, maximumElements: Int?, isVariable: Bool, isText: Bool)
  /// `array[]`: string up to 2048 bytes, region above.
  case stringOrRegion(L4DataFacts)
  /// Out-of-line data (`^…`): a region item; `fixedCount` for `^T` / `^array[N]`.
  case region(L4DataFacts, fixedCount: Int?, declaredMaximum: Int?)
}

/// Element facts of data (the unit is one Count element: a `Cnt` of 1 is this many bytes).
struct L4DataFacts: Hashable, Sendable {
  var elementType: String
  var elementBits: Int
  /// Bytes per Count element on the L4 wire.
  var elementBytes: Int
  /// Count elements for fixed data (1 for a scalar).
  var count: Int
  var encoding: L4Encoding
  var alignment: Int

  /// Bytes of `count` elements (bits are packed, LSB first).
  func byteSize(elements: Int) -> Int {
    encoding == .bits ? (elements * elementBits + 7) / 8 : elements * elementBytes
  }
  var byteSize: Int { byteSize(elements: count) }
}

struct L4CapabilityFacts: Hashable, Sendable {
  var disposition: L4Disposition
  var receivedRight: L4ReceivedRight
}

enum L4ShapeClassifier {
  /// Classifies `type` as used by an argument whose Count companion has `multiplier` (1 if none).
  static func shape(of type: ResolvedType, multiplier: Int) -> L4Shape {
    let unit = max(1, multiplier)
    if isCapability(type) {
      let facts = capabilityFacts(type)
      if !type.isInline {
        // `^array[…] of port` / `^port`: capabilities cannot travel by memory reference.
        let pointee = inlinePointee(of: type)
        if let pointee, pointee.isVariable {
          return .capabilityRun(
            facts, perElement: unit, fixedCount: nil, declaredMaximum: declaredMaximum(pointee, unit: unit))
        }
        let count = Int(pointee?.number ?? 1)
        return count == 1
          ? .capability(facts) : .capabilityRun(facts, perElement: 1, fixedCount: count, declaredMaximum: nil)
      }
      if type.isVariable {
        return .capabilityRun(facts, perElement: unit, fixedCount: nil, declaredMaximum: declaredMaximum(type, unit: unit))
      }
      let count = Int(type.number)
      return count == 1
        ? .capability(facts) : .capabilityRun(facts, perElement: 1, fixedCount: count, declaredMaximum: nil)
    }
    if !type.isInline {
      let pointee = inlinePointee(of: type) ?? type
      if pointee.isVariable {
        return .region(dataFacts(pointee, unit: unit), fixedCount: nil, declaredMaximum: declaredMaximum(pointee, unit: unit))
      }
      let facts = dataFacts(pointee, unit: 1)
      return .region(facts, fixedCount: facts.count, declaredMaximum: facts.count)
    }
    if type.isString {
      // c_string: the text without its NUL; a `c_string[N]` holds at most N − 1 characters.
      let facts = dataFacts(type, unit: 1)
      return .string(
        facts, maximumElements: max(0, Int(type.number) - 1), isVariable: type.isVariable, isText: true)
    }
    if type.isIndefinite {
      return .stringOrRegion(dataFacts(type, unit: unit))
    }
    if type.isVariable {
      return .string(dataFacts(type, unit: unit), maximumElements: declaredMaximum(type, unit: unit), isVariable: true, isText: false)
    }
    return .data(dataFacts(type, unit: 1))
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

  /// The first inline type along the element chain of an out-of-line type: what the pointer
  /// points at (`^array[100] of int` → `array[100] of int`).
  static func inlinePointee(of type: ResolvedType) -> ResolvedType? {
    var current = type.elementType
    var depth = 0
    while let candidate = current, depth < 64 {
      if candidate.isInline { return candidate }
      current = candidate.elementType
      depth += 1
    }
    return nil
  }

  /// The maximum in Count elements a variable array declares; nil for `array[]` (whose `number`
  /// is only MIG's inline limit, not a bound).
  static func declaredMaximum(_ type: ResolvedType, unit: Int) -> Int? {
    if type.isIndefinite { return nil }
    return Int(type.number) / max(1, unit)
  }

  /// Facts of one Count element (`unit` MIG elements); `count` is the fixed count, or the
  /// maximum of a variable array, in those elements.
  static func dataFacts(_ type: ResolvedType, unit: Int) -> L4DataFacts {
    let bits = Int(type.sizeInBits)
    let spelling = type.inName.spelling
    let layout = structLayout(of: type)
    let encoding: L4Encoding
    let bytesPerMIGElement: Int
    if layout != nil {
      encoding = .structure
      bytesPerMIGElement = bits / 8
    } else if spelling == "MACH_MSG_TYPE_BOOLEAN" && bits > 0 {
      encoding = .boolean
      bytesPerMIGElement = 1
    } else if bits % 8 != 0 {
      encoding = .bits
      bytesPerMIGElement = 0
    } else if [8, 16, 32, 64].contains(bits) {
      encoding = .integer
      bytesPerMIGElement = bits / 8
    } else {
      encoding = .bytes
      bytesPerMIGElement = bits / 8
    }
    var alignment = alignment(elementBytes: bytesPerMIGElement)
    if let layout { alignment = max(alignment, min(8, Int(layout.alignmentInBytes))) }
    return L4DataFacts(
      elementType: spelling, elementBits: bits * unit, elementBytes: bytesPerMIGElement * unit,
      count: Int(type.number) / unit, encoding: encoding, alignment: alignment)
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
