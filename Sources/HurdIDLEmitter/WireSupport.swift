// The file-private helpers every generated file carries (the same text in every file): packing
// fields into untyped words and checking typed items. Kept in the generated file, not in HurdRPC,
// so generated code depends only on HurdRPC's public API.

enum WireSupport {
  static let typeName = "_HurdIDLWire"

  static let source: [String] = #"""
    /// Packing of the native L4 layout (docs/swift-mapping.md): fields are little-endian bytes of
    /// the untyped words; typed items are checked against the plan before their data is used.
    fileprivate enum _HurdIDLWire {
      /// Appends zero words until the message has `count` untyped words.
      static func reserve(_ count: Swift.Int, in message: inout HurdRPC.Message) throws(HurdRPC.RPCError) {
        while message.wordCount < count { try message.append(0) }
      }

      /// ORs the low `size` bytes of `bits` into the words at `byteOffset`.
      static func put(_ bits: Swift.UInt64, at byteOffset: Swift.Int, size: Swift.Int, in message: inout HurdRPC.Message) {
        let mask: Swift.UInt64 = size >= 8 ? ~0 : (1 << Swift.UInt64(size * 8)) - 1
        message[byteOffset / 8] |= (bits & mask) << Swift.UInt64((byteOffset % 8) * 8)
      }

      /// The `size` bytes at `byteOffset` (the word count was checked by `expect`).
      static func get(_ message: borrowing HurdRPC.Message, at byteOffset: Swift.Int, size: Swift.Int) -> Swift.UInt64 {
        let mask: Swift.UInt64 = size >= 8 ? ~0 : (1 << Swift.UInt64(size * 8)) - 1
        return (message[byteOffset / 8] >> Swift.UInt64((byteOffset % 8) * 8)) & mask
      }

      /// ORs the low `size` bytes of `bits` into the overflow bytes at `byteOffset`.
      static func put(_ bits: Swift.UInt64, at byteOffset: Swift.Int, size: Swift.Int, in bytes: inout [Swift.UInt8]) {
        for index in 0..<size { bytes[byteOffset + index] |= Swift.UInt8(truncatingIfNeeded: bits >> Swift.UInt64(index * 8)) }
      }

      /// The `size` bytes at `byteOffset` of the overflow bytes (their length was checked).
      static func get(_ bytes: [Swift.UInt8], at byteOffset: Swift.Int, size: Swift.Int) -> Swift.UInt64 {
        var bits: Swift.UInt64 = 0
        for index in 0..<size { bits |= Swift.UInt64(bytes[byteOffset + index]) << Swift.UInt64(index * 8) }
        return bits
      }

      /// The overflow string: exactly the plan's number of bytes.
      static func overflow(
        _ item: HurdRPC.TypedItem, bytes: Swift.Int, malformed: HurdRPC.RPCError.Code
      ) throws(HurdRPC.RPCError) -> [Swift.UInt8] {
        guard case .string(let string) = item, string.byteCount == bytes else {
          throw HurdRPC.RPCError(malformed, "the overflow string is missing or not \(bytes) bytes")
        }
        return string.bytes
      }

      /// Checks the exact shape a received message must have before anything is read from it.
      /// (`items == nil`: words only, when the item count depends on count words.)
      static func expect(
        _ message: borrowing HurdRPC.Message, words: Swift.Int, items: Swift.Int?, malformed: HurdRPC.RPCError.Code
      ) throws(HurdRPC.RPCError) {
        guard message.wordCount == words, items.map({ message.items.count == $0 }) ?? true else {
          throw HurdRPC.RPCError(
            malformed,
            "message \(message.label) has \(message.wordCount) words and \(message.items.count) items, expected \(words) and \(items.map(Swift.String.init) ?? "any")")
        }
      }

      /// The length of a variable capability run, bounded by what the plan leaves room for.
      static func runCount(
        _ message: borrowing HurdRPC.Message, at byteOffset: Swift.Int, size: Swift.Int, maximum: Swift.Int,
        argument: Swift.String, malformed: HurdRPC.RPCError.Code
      ) throws(HurdRPC.RPCError) -> Swift.Int {
        let count = get(message, at: byteOffset, size: size)
        guard count <= Swift.UInt64(maximum) else {
          throw HurdRPC.RPCError(malformed, "`\(argument)` claims \(count) capabilities, at most \(maximum) fit")
        }
        return Swift.Int(count)
      }

      static func bool(_ bits: Swift.UInt64, argument: Swift.String, malformed: HurdRPC.RPCError.Code) throws(HurdRPC.RPCError) -> Swift.Bool {
        guard bits <= 1 else { throw HurdRPC.RPCError(malformed, "`\(argument)` is not a boolean (\(bits))") }
        return bits == 1
      }

      /// Refuses a count outside the declared bounds before anything is sent.
      static func check(
        count: Swift.Int, exact: Swift.Int?, maximum: Swift.Int?, argument: Swift.String
      ) throws(HurdRPC.RPCError) {
        if let exact, count != exact {
          throw HurdRPC.RPCError(
            count > exact ? .arrayTooLarge : .badArguments, "`\(argument)` has \(count) elements, the .defs declares \(exact)")
        }
        if let maximum, count > maximum {
          throw HurdRPC.RPCError(.arrayTooLarge, "`\(argument)` has \(count) elements, at most \(maximum) are allowed")
        }
      }

      static func bytes<Element: Swift.FixedWidthInteger>(of values: [Element], size: Swift.Int) -> [Swift.UInt8] {
        var bytes: [Swift.UInt8] = []
        bytes.reserveCapacity(values.count * size)
        for value in values {
          let bits = Swift.UInt64(truncatingIfNeeded: value)
          for index in 0..<size { bytes.append(Swift.UInt8(truncatingIfNeeded: bits >> Swift.UInt64(index * 8))) }
        }
        return bytes
      }

      static func bytes(of values: [Swift.Bool]) -> [Swift.UInt8] { values.map { $0 ? 1 : 0 } }

      /// A string item, or a region above `stringLimit` bytes (`array[]`).
      static func dataItem(_ bytes: [Swift.UInt8], stringLimit: Swift.Int?, grant: Swift.Bool) -> HurdRPC.TypedItem {
        if let stringLimit, bytes.count > stringLimit {
          let region = HurdRPC.MemoryRegion(copying: bytes)
          return .region(grant ? .grant(region) : .map(region))
        }
        return .string(HurdRPC.StringItem(bytes))
      }

      /// Whether a region item was granted (moved) rather than mapped (`dealloc[]`).
      static func isGrant(_ item: HurdRPC.TypedItem) -> Swift.Bool {
        guard case .region(let region) = item, case .grant = region.kind else { return false }
        return true
      }

      /// The bytes of a data item (a region only where `allowRegion`).
      static func data(
        _ item: HurdRPC.TypedItem, allowRegion: Swift.Bool, argument: Swift.String, malformed: HurdRPC.RPCError.Code
      ) throws(HurdRPC.RPCError) -> [Swift.UInt8] {
        switch item {
        case .string(let string): return string.bytes
        case .region(let region) where allowRegion: return region.region.bytes
        default: throw HurdRPC.RPCError(malformed, "`\(argument)` is not a data item")
        }
      }

      static func integers<Element: Swift.FixedWidthInteger>(
        _ bytes: [Swift.UInt8], size: Swift.Int, exact: Swift.Int?, maximum: Swift.Int?, argument: Swift.String,
        malformed: HurdRPC.RPCError.Code
      ) throws(HurdRPC.RPCError) -> [Element] {
        let count = bytes.count / size
        guard bytes.count % size == 0, exact.map({ count == $0 }) ?? true, maximum.map({ count <= $0 }) ?? true else {
          throw HurdRPC.RPCError(malformed, "`\(argument)` has \(bytes.count) bytes, outside its declared bounds")
        }
        var values: [Element] = []
        values.reserveCapacity(count)
        for start in Swift.stride(from: 0, to: bytes.count, by: size) {
          var bits: Swift.UInt64 = 0
          for index in 0..<size { bits |= Swift.UInt64(bytes[start + index]) << Swift.UInt64(index * 8) }
          values.append(Element(truncatingIfNeeded: bits))
        }
        return values
      }

      static func booleans(
        _ bytes: [Swift.UInt8], exact: Swift.Int?, maximum: Swift.Int?, argument: Swift.String,
        malformed: HurdRPC.RPCError.Code
      ) throws(HurdRPC.RPCError) -> [Swift.Bool] {
        guard exact.map({ bytes.count == $0 }) ?? true, maximum.map({ bytes.count <= $0 }) ?? true,
          bytes.allSatisfy({ $0 <= 1 })
        else { throw HurdRPC.RPCError(malformed, "`\(argument)` is not an array of booleans within its bounds") }
        return bytes.map { $0 == 1 }
      }

      /// The UTF-8 bytes of a `c_string` value, refused when too long or holding a NUL.
      static func textBytes(_ text: Swift.String, maximum: Swift.Int?, argument: Swift.String) throws(HurdRPC.RPCError) -> [Swift.UInt8] {
        let bytes = Swift.Array(text.utf8)
        if bytes.contains(0) { throw HurdRPC.RPCError(.badArguments, "`\(argument)` contains a NUL character") }
        try check(count: bytes.count, exact: nil, maximum: maximum, argument: argument)
        return bytes
      }

      static func text(
        _ bytes: [Swift.UInt8], maximum: Swift.Int?, argument: Swift.String, malformed: HurdRPC.RPCError.Code
      ) throws(HurdRPC.RPCError) -> Swift.String {
        guard maximum.map({ bytes.count <= $0 }) ?? true, !bytes.contains(0),
          let text = Swift.String(validating: bytes, as: Swift.UTF8.self)
        else { throw HurdRPC.RPCError(malformed, "`\(argument)` is not a string within its bounds") }
        return text
      }

      static func checkRegion(
        _ region: HurdRPC.MemoryRegion, elementBytes: Swift.Int, exact: Swift.Int?, maximum: Swift.Int?,
        argument: Swift.String
      ) throws(HurdRPC.RPCError) {
        guard region.count % elementBytes == 0 else {
          throw HurdRPC.RPCError(.badArguments, "`\(argument)` is not a whole number of elements")
        }
        try check(count: region.count, exact: exact, maximum: maximum, argument: argument)
      }

      static func region(
        _ item: HurdRPC.TypedItem, elementBytes: Swift.Int, exact: Swift.Int?, maximum: Swift.Int?,
        argument: Swift.String, malformed: HurdRPC.RPCError.Code
      ) throws(HurdRPC.RPCError) -> HurdRPC.MemoryRegion {
        guard case .region(let item) = item, item.region.count % elementBytes == 0,
          exact.map({ item.region.count == $0 }) ?? true, maximum.map({ item.region.count <= $0 }) ?? true
        else { throw HurdRPC.RPCError(malformed, "`\(argument)` is not a region within its bounds") }
        return item.region
      }

      static func capability(
        _ item: HurdRPC.TypedItem, right: HurdRPC.CapabilityDisposition.Right?, argument: Swift.String,
        malformed: HurdRPC.RPCError.Code
      ) throws(HurdRPC.RPCError) -> HurdRPC.CapabilityName {
        guard case .capability(let capability) = item, right.map({ capability.disposition.right == $0 }) ?? true else {
          throw HurdRPC.RPCError(malformed, "`\(argument)` is not a capability of the declared right")
        }
        return capability.name
      }

      /// A polymorphic capability: the item with the disposition the sender chose.
      static func capabilityItem(
        _ item: HurdRPC.TypedItem, right: HurdRPC.CapabilityDisposition.Right?, argument: Swift.String,
        malformed: HurdRPC.RPCError.Code
      ) throws(HurdRPC.RPCError) -> HurdRPC.CapabilityItem {
        guard case .capability(let capability) = item, right.map({ capability.disposition.right == $0 }) ?? true else {
          throw HurdRPC.RPCError(malformed, "`\(argument)` is not a capability of the declared right")
        }
        return capability
      }
    }
    """#.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
}
