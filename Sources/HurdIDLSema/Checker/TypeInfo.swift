import HurdIDLSource

/// A type under construction: the model's facts plus what only sema needs (alignments for
/// `struct {…}` layout).
struct TypeInfo {
  var type: ResolvedType
  /// GNU's member alignment: `min(4, bytes)` for `MACH_MSG_TYPE_*`-built types, the C size for the
  /// builtins and copies of them.
  var alignment: UInt32
  /// The natural x86_64 C alignment (for the layout-differs-from-C warning).
  var cAlignment: UInt32

  /// GNU's `itAlloc` prototype: inline, one element, struct-copied, no names.
  static func allocate(
    inName: MessageTypeName, outName: MessageTypeName, sizeInBits: UInt32, origin: TypeOrigin,
    range: SourceRange?
  ) -> TypeInfo {
    let type = ResolvedType(
      name: nil, origin: origin, range: range, inName: inName, outName: outName, sizeInBits: sizeInBits, number: 1,
      isInline: true, isLongForm: false, longFormUse: .notLong, deallocate: .no, flags: [],
      copySemantics: .assignment, isVariable: false, isIndefinite: false, typeSizeInBytes: 0, padSizeInBytes: 0,
      minimumTypeSizeInBytes: 0, element: nil, cUserType: nil, cServerType: nil, cTransType: nil, inTran: nil,
      inTranPayload: nil, outTran: nil, destructor: nil, structLayout: nil)
    let bytes = max(1, sizeInBits / 8)
    var info = TypeInfo(type: type, alignment: min(MachTarget.wordSizeInBytes, bytes), cAlignment: min(8, bytes))
    _ = info.calculateSizeInfo()
    return info
  }

  /// How many `element` links the model keeps. GNU only ever reads one level (count
  /// multipliers, element C types); the cap keeps chains of `type a2 = a1; type a3 = a2; …`
  /// from nesting without bound (deep values would overflow the stack when hashed or encoded).
  static let maximumElementDepth = 8

  /// GNU's `itCopyType`: the same facts, anonymous, with the old type as element.
  func copied(origin: TypeOrigin, range: SourceRange?) -> TypeInfo {
    var copy = self
    copy.type.name = nil
    copy.type.origin = origin
    copy.type.range = range
    copy.type.element = Indirect(Self.truncated(type, depth: Self.maximumElementDepth - 1))
    return copy
  }

  /// `type` with at most `depth` element links below it.
  static func truncated(_ type: ResolvedType, depth: Int) -> ResolvedType {
    guard let element = type.element?.value else { return type }
    var result = type
    result.element = depth <= 0 ? nil : Indirect(truncated(element, depth: depth - 1))
    return result
  }

  /// GNU's `itResetType`: forget C names and translations.
  mutating func resetCNames() {
    type.cUserType = nil
    type.cServerType = nil
    type.cTransType = nil
    type.inTran = nil
    type.inTranPayload = nil
    type.outTran = nil
    type.destructor = nil
  }

  /// GNU's `itCalculateSizeInfo`. Returns false when `number × size` does not fit in 32 bits
  /// (GNU silently wraps; sema reports it).
  mutating func calculateSizeInfo() -> Bool {
    if type.isInline {
      let bits = UInt64(type.number) * UInt64(type.sizeInBits)
      let bytes64 = (bits + 7) / 8
      guard bits <= UInt64(UInt32.max), bytes64 <= UInt64(UInt32.max) else {
        type.typeSizeInBytes = 0
        type.padSizeInBytes = 0
        type.minimumTypeSizeInBytes = 0
        return false
      }
      let bytes = UInt32(bytes64)
      let padding = (4 - bytes % 4) % 4
      type.typeSizeInBytes = bytes
      type.padSizeInBytes = padding
      type.minimumTypeSizeInBytes = type.isVariable ? 0 : bytes &+ padding
    } else {
      type.typeSizeInBytes = MachTarget.pointerSizeInBytes
      type.padSizeInBytes = 0
      type.minimumTypeSizeInBytes = MachTarget.pointerSizeInBytes
    }
    return true
  }

  /// GNU's `itUseLong`.
  var longFormUse: LongFormUse {
    let t = type
    var use = LongFormUse.notLong
    if t.inName.isPolymorphic || t.outName.isPolymorphic || t.isVariable { use = .canBeLong }
    if (t.isVariable && !t.isInline) || t.isIndefinite { use = .shouldBeLong }
    func big(_ name: MessageTypeName, _ limit: UInt32) -> Bool { !name.isPolymorphic && name.value >= limit }
    if big(t.inName, 1 << 8) || big(t.outName, 1 << 8) || t.sizeInBits >= 1 << 8 || t.number >= 1 << 12 {
      use = .mustBeLong
    }
    if big(t.inName, 1 << 16) || big(t.outName, 1 << 16) || t.sizeInBits >= 1 << 16 { use = .tooLong }
    return use
  }
}
