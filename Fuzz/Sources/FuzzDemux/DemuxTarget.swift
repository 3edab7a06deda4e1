@_spi(Transport) import HurdRPC

// Servers that implement nothing: every handler answers EOPNOTSUPP (the generated defaults), so a
// request that reaches a handler shows as that code. The translation hooks accept everything.
struct RoundtripNothing: RoundtripServerDefaults {}
struct KindsNothing: KindsServerDefaults {}
struct TranslationsNothing: TranslationsServerDefaults {
  func lookupTicket(_ value: Int32, context: CallContext) throws(ReturnCode) -> Int32 { value }
  func ticketNumber(_ value: Int32, context: CallContext) throws(ReturnCode) -> Int32 { value }
  func releaseTicket(_ value: Int32) {}
  func holderFor(_ value: CapabilityName, context: CallContext) throws(ReturnCode) -> CapabilityName { value }
  func dropHolder(_ value: CapabilityName) {}
}
struct ObjectsNothing: ObjectsServerDefaults {
  func openAccount(_ value: Void, context: CallContext) throws(ReturnCode) {}
  func closeAccount(_ value: Void) {}
}
struct PortsNothing: PortsServerDefaults {}

let demuxes: [(base: UInt64, demux: any Demultiplexer)] = [
  (5000, RoundtripDemux(RoundtripNothing())), (7000, KindsDemux(KindsNothing())),
  (7500, TranslationsDemux(TranslationsNothing())), (7800, ObjectsDemux(ObjectsNothing())),
  (7900, PortsDemux(PortsNothing())),
]

/// Reads the fuzzer's bytes front to back; past the end every read is 0.
struct ByteReader {
  let bytes: [UInt8]
  var position = 0
  var atEnd: Bool { position >= bytes.count }
  mutating func byte() -> UInt8 {
    defer { position += 1 }
    return position < bytes.count ? bytes[position] : 0
  }
  mutating func word() -> UInt64 { (0..<8).reduce(0) { value, _ in value << 8 | UInt64(byte()) } }
  mutating func take(_ count: Int) -> [UInt8] { (0..<count).map { _ in byte() } }
}

/// libFuzzer entry point. Byte 0 picks the demux, byte 1 the id (base − 8 … base + 23, so ids
/// outside the table too); then opcodes append untyped words, strings, regions (map or grant,
/// 0 bytes to 64 KiB) and capabilities of any disposition until the input or the message runs
/// out. The demux must answer bad id, bad arguments or the handlers' EOPNOTSUPP — anything
/// else, a crash or a hang is a bug.
func fuzzDemux(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  var input = ByteReader(bytes: Array(UnsafeBufferPointer(start: data, count: size)))
  let (base, demux) = demuxes[Int(input.byte()) % demuxes.count]
  let label = base - 8 + UInt64(input.byte() % 32)
  var request = Message(label: label)
  build: while !input.atEnd {
    do throws(RPCError) {
      switch input.byte() % 5 {
      case 0, 1: try request.append(input.word())
      case 2: try request.append(.string(StringItem(input.take(Int(input.byte())))))
      case 3:
        let length = Int(input.byte()) << 8 | Int(input.byte())
        let region = MemoryRegion(copying: input.take(min(length, 4096)) + Array(repeating: 0, count: max(0, length - 4096)))
        try request.append(.region(input.byte() % 2 == 0 ? .map(region) : .grant(region)))
      default:
        let name = CapabilityName(rawValue: UInt32(truncatingIfNeeded: input.word()))
        let disposition = CapabilityDisposition.allCases[Int(input.byte()) % CapabilityDisposition.allCases.count]
        try request.append(.capability(CapabilityItem(name, disposition: disposition)))
      }
    } catch {
      break build  // the message is full
    }
  }
  var reply = Message.reply(to: label)
  let context = CallContext(caller: CallerIdentity(domain: 1, badge: 2), requestLabel: label, expectsReply: true)
  do throws(RPCError) {
    try demux.dispatch(request, reply: &reply, context: context)
    preconditionFailure("a handler answered success: \(request)")
  } catch {
    let expected = error.code == .badID || error.code == .badArguments || error.code == .returnCode(.EOPNOTSUPP)
    precondition(expected, "unexpected answer \(error) to \(request)")
    if label < base || label >= base + 32 { precondition(error.code == .badID, "id \(label) outside the table: \(error)") }
  }
  return 0
}
