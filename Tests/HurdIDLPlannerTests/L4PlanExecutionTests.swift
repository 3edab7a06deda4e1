import HurdIDLPlanner
import HurdIDLSema
import HurdRPC
import Testing

/// Plans are directly executable on the runtime: a plan-driven encoder builds `HurdRPC.Message`s
/// from them (every variable item at its maximum, and with every run empty), the runtime accepts
/// them, its tag's u and t equal the plan's, and every field reads back from the registers and the
/// overflow string exactly as written.
@Suite("L4 plans executed on HurdRPC.Message")
struct L4PlanExecutionTests {
  /// Encodes `message` with deterministic contents. `full`: variable items at their maximum.
  struct Encoded {
    var message: Message
    var wordBytes: [UInt8]
    var overflowBytes: [UInt8]
  }

  static func encode(_ plan: L4MessagePlan, full: Bool, seed: UInt64) throws(RPCError) -> Encoded {
    var random = SeededGenerator(seed: seed)
    var words = [UInt8](repeating: 0, count: plan.untypedWords * 8)
    var overflow = [UInt8](repeating: 0, count: plan.overflowBytes ?? 0)
    for field in plan.fields {
      for offset in field.byteOffset..<(field.byteOffset + field.byteSize) {
        let byte: UInt8 = field.encoding == .boolean ? UInt8(random.int(0...1)) : UInt8(random.int(0...255))
        if field.area == .words { words[offset] = byte } else { overflow[offset] = byte }
      }
    }
    var message = Message(label: UInt64(plan.label))
    for index in 0..<plan.untypedWords {
      var word: UInt64 = 0
      for byte in 0..<8 { word |= UInt64(words[index * 8 + byte]) << (8 * UInt64(byte)) }
      try message.append(word)
    }
    for item in plan.items {
      switch item.kind {
      case .overflow:
        try message.append(.string(StringItem(overflow)))
      case .string:
        let size = full ? item.maximumBytes ?? 0 : 0
        try message.append(.string(StringItem([UInt8](repeating: 0x61, count: size))))
      case .stringOrRegion:
        try message.append(.string(StringItem([UInt8](repeating: 1, count: full ? item.stringLimitBytes ?? 0 : 0))))
      case .region:
        let region = MemoryRegion(byteCount: 4096)
        try message.append(.region(item.transfer == .grant ? .grant(region) : .map(region)))
      case .capability:
        try message.append(.capability(CapabilityItem(CapabilityName(rawValue: 7), disposition: disposition(item))))
      case .capabilityRun:
        let count = item.runIsVariable == true && !full ? 0 : (item.runCount ?? 0)
        for _ in 0..<count {
          try message.append(.capability(CapabilityItem(CapabilityName(rawValue: 9), disposition: disposition(item))))
        }
      }
    }
    return Encoded(message: message, wordBytes: words, overflowBytes: overflow)
  }

  static func disposition(_ item: L4ItemPlan) -> CapabilityDisposition {
    switch item.disposition {
    case .moveReceive: .moveReceive
    case .moveSend: .moveSend
    case .moveSendOnce: .moveSendOnce
    case .makeSend: .makeSend
    case .makeSendOnce: .makeSendOnce
    case .copySend, .runtime, nil: .copySend
    }
  }

  /// Encodes at both extremes and checks tag, items and the bytes of every field.
  static func verify(_ plan: L4MessagePlan, seed: UInt64) -> [String] {
    var failures: [String] = []
    for full in [true, false] {
      let encoded: Encoded
      do {
        encoded = try encode(plan, full: full, seed: seed)
      } catch {
        return ["label \(plan.label): the runtime refused the message (\(error))"]
      }
      let tag = encoded.message.tag
      let expectedT = full ? plan.typedWordsMaximum : plan.typedWordsMinimum
      if tag.untypedCount != plan.untypedWords || tag.typedCount != expectedT || tag.label != UInt64(plan.label) {
        failures.append("label \(plan.label): tag \(tag) but plan says u \(plan.untypedWords), t \(expectedT)")
      }
      // Read every field back from the message, the way a receiver would.
      let received = encoded.message.words
      for field in plan.fields {
        for offset in field.byteOffset..<(field.byteOffset + field.byteSize) {
          let expected = field.area == .words ? encoded.wordBytes[offset] : encoded.overflowBytes[offset]
          let actual: UInt8
          if field.area == .words {
            actual = UInt8(truncatingIfNeeded: received[offset / 8] >> (8 * UInt64(offset % 8)))
          } else if case .string(let string) = encoded.message.items.first {
            actual = string.bytes[offset]
          } else {
            failures.append("label \(plan.label): no overflow string for \(field.name)")
            break
          }
          if actual != expected { failures.append("label \(plan.label): \(field.name) byte \(offset) differs") }
        }
      }
    }
    return failures
  }

  @Test("every fixture's messages build and read back", arguments: L4PlanGoldenTests.fixtures)
  func fixtures(fixture: String) throws {
    let url = PlannerTestPaths.fixtures.appendingPathComponent(fixture)
    let interface = try #require(check(text: try String(contentsOf: url, encoding: .utf8)).interface)
    for (index, routine) in L4Planner.plan(interface).routines.enumerated() {
      for message in [routine.request] + (routine.reply.map { [$0] } ?? []) {
        let failures = Self.verify(message, seed: UInt64(index))
        #expect(failures.isEmpty, "\(routine.name): \(failures.joined(separator: "\n"))")
      }
    }
  }

  @Test("random interfaces: messages build and read back; problems are refused by the runtime")
  func random() {
    for seed in 1...20 as ClosedRange<UInt64> {
      var generator = RandomDefsGenerator(seed: seed, maximumArguments: seed.isMultiple(of: 2) ? 60 : 9)
      for _ in 0..<5 {
        let text = generator.file()
        guard let interface = check(text: text).interface else { continue }
        let plan = L4Planner.plan(interface)
        for routine in plan.routines {
          for message in [routine.request] + (routine.reply.map { [$0] } ?? []) {
            if message.fits {
              let failures = Self.verify(message, seed: seed)
              #expect(failures.isEmpty, "\(routine.name): \(failures.joined(separator: "\n"))\n\(text)")
            } else {
              #expect(throws: (any Error).self) { try Self.encode(message, full: true, seed: seed) }
            }
          }
        }
      }
    }
  }
}
