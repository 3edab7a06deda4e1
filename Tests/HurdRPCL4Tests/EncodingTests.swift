import HurdRPC
import HurdRPCL4
import Testing

@Suite("L4 encodings")
struct EncodingTests {
  @Test func threadIDsAreGlobalLocalOrSpecial() {
    let global = L4ThreadID(number: 7, version: 0x41)
    #expect(global.isGlobal && !global.isLocal)
    #expect(global.number == 7 && global.version == 0x41)
    #expect(global.raw == 7 << 32 | 0x41)
    let local = L4ThreadID.local(index: 3)
    #expect(local.isLocal && !local.isGlobal && local.localIndex == 3 && local.raw == 3 << 6)
    #expect(L4ThreadID.nilThread.isNil && !L4ThreadID.nilThread.isLocal)
    #expect(L4ThreadID.anyThread.raw == ~0 && !L4ThreadID.anyThread.isGlobal)
    #expect(L4ThreadID.anyLocalThread.raw == ~0 << 6 && !L4ThreadID.anyLocalThread.isLocal)
  }

  @Test func messageTagLayoutMatchesMR0() {
    var tag = L4MessageTag(label: 0xBEEF, untyped: 5, typed: 4, propagated: true)
    #expect(tag.raw == 0xBEEF << 16 | 1 << 12 | 4 << 6 | 5)
    #expect(tag.label == 0xBEEF && tag.untypedWords == 5 && tag.typedWords == 4 && tag.isPropagated)
    #expect(!tag.isRedirected && !tag.isError && !tag.isCrossProcessor)
    tag.label = (1 << 48) - 1
    #expect(tag.label == (1 << 48) - 1 && tag.untypedWords == 5)
    #expect(L4MessageTag(raw: 1 << 13).isRedirected && L4MessageTag(raw: 1 << 15).isError)
  }

  @Test func timeoutsUseTheL4Encodings() {
    #expect(L4Timeout.never.raw == 0 && L4Timeout.never.isNever && L4Timeout.never.microseconds == nil)
    #expect(L4Timeout.zero.raw == 0x0400 && L4Timeout.zero.isZero && L4Timeout.zero.microseconds == 0)
    let t = L4Timeout.relative(exponent: 3, mantissa: 100)!
    #expect(t.raw == 3 << 10 | 100 && t.microseconds == 800)
    #expect(L4Timeout.relative(exponent: 0, mantissa: 0) == nil)  // that would be `never`
    #expect(L4Timeout.relative(exponent: 32, mantissa: 1) == nil)
    #expect(L4Timeout.microseconds(1000).microseconds == 1000)
    // The longest period is the clamp for anything larger, even UInt64.max (no overflow).
    #expect(L4Timeout.microseconds(.max) == L4Timeout.relative(exponent: 31, mantissa: 1023))
    // Rounded up, never shorter than asked for.
    let rounded = L4Timeout.microseconds(1_000_001)
    #expect(rounded.microseconds! >= 1_000_001 && rounded.mantissa <= 1023)
    #expect(L4Timeout(raw: 0x8000) == nil)  // absolute time points are not modelled
    #expect(L4Timeouts(send: .zero, receive: .never).raw == 0x0400 << 16)
  }

  /// One encoder for both the runtime's `IPCTimeout` and the kernel's `L4Timeout`: the
  /// shortest period ≥ the request, exact where representable, saturating only above the largest.
  @Test(arguments: [
    0, 1, 1023, 1024, 1025, 2046, 2047, 2048, 2049, 1_000_001,
    1023 << 30, 1023 << 30 + 1, 1 << 40, 1023 << 31 - 1, 1023 << 31, 1023 << 31 + 1, UInt64.max,
  ] as [UInt64])
  func timeoutEncodingRoundsUpAndSaturatesOnlyAboveTheLargestPeriod(_ micros: UInt64) {
    let timeout = L4Timeout.microseconds(micros)
    let largest: UInt64 = 1023 << 31
    if micros == 0 {
      #expect(timeout == .zero)
    } else if micros > largest {
      #expect(timeout == L4Timeout.relative(exponent: 31, mantissa: 1023))
    } else {
      let period = timeout.microseconds!
      #expect(period >= micros)
      // Minimal: the next shorter period of this exponent, and any smaller exponent, is too short.
      #expect(timeout.mantissa == 0 || (UInt64(timeout.mantissa) - 1) << UInt64(timeout.exponent) < micros)
      #expect(timeout.exponent == 0 || (micros + (1 << UInt64(timeout.exponent - 1)) - 1) >> UInt64(timeout.exponent - 1) > 1023)
    }
    if micros <= UInt64(Int64.max / 1_000_000) {
      #expect(IPCTimeout.after(.microseconds(Int64(micros))).l4Encoding == (micros == 0 ? 0x0400 : timeout.raw))
    }
  }

  @Test func errorCodeCarriesPhaseKindAndOffset() {
    let e = L4ErrorCode(.messageOverflow, phase: .receive, offset: 64)
    #expect(e.raw == 64 << 4 | 4 << 1 | 1)
    #expect(e.kind == .messageOverflow && e.phase == .receive && e.offset == 64)
    let t = L4ErrorCode(.timeout, phase: .send, offset: 99)
    #expect(t.raw == 1 << 1 && t.offset == 0)  // kinds 1–3 carry no offset
    #expect(L4ErrorCode(.aborted, phase: .send, offset: 5).raw == 5 << 4 | 7 << 1)
  }

  @Test func fpagesAreNaturallyAligned() {
    let page = L4Fpage(base: 0x10000, log2Size: 16, rights: [.read])!
    #expect(page.base == 0x10000 && page.size == 0x10000 && page.rights == [.read])
    #expect(L4Fpage(base: 0x11000, log2Size: 16) == nil)
    #expect(L4Fpage(base: 0, log2Size: 11) == nil)  // below the 4 KiB page size
    #expect(L4Fpage.nilpage.isNil && L4Fpage.completeAddressSpace.isCompleteAddressSpace)
    let acceptor = L4Acceptor(receiveWindow: page, acceptsStrings: true)
    #expect(acceptor.acceptsStrings && acceptor.receiveWindow.base == 0x10000)
    #expect(L4Acceptor.untypedOnly.receiveWindow.isNil)
  }

  @Test func typedItemsRoundTripThroughRegisters() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let decoded = Slot<[L4TypedItem]>()
    let fpage = L4Fpage(base: 0x20000, log2Size: 13)!
    let items: [L4TypedItem] = [
      .string(L4StringItem(length: 8, substrings: [0x1000, 0x2000], continues: true)),
      .string(L4StringItem(address: 0x3000, length: 3)),
      .map(fpage: fpage, sendBase: 0x4000),
      .grant(fpage: fpage, sendBase: 0),
    ]
    kernel.spawn(in: space) { ctx in
      #expect(ctx.mr.load(label: 9, untyped: [1, 2], items: items))
      #expect(ctx.mr.tag.untypedWords == 2 && ctx.mr.tag.typedWords == 3 + 2 + 2 + 2)
      if let items = ctx.mr.typedItems { decoded.set(items) }
    }.join()
    #expect(decoded.value == items)
  }

  @Test func registersRejectWhatDoesNotFit() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let results = Log<Bool>()
    kernel.spawn(in: space) { ctx in
      results.append(ctx.mr.load(label: 1, untyped: Array(repeating: 0, count: 64)))
      results.append(ctx.mr.load(label: 1, items: [.string(L4StringItem(length: 1, substrings: []))]))
      results.append(ctx.br.accept(stringBuffers: Array(repeating: L4StringItem(address: 0x1000, length: 1), count: 17)))
      results.append(ctx.mr.load(label: 1, untyped: Array(repeating: 0, count: 63)))
    }.join()
    #expect(results.values == [false, false, false, true])
  }
}
