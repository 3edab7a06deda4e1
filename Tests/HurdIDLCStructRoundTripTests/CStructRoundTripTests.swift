import Dispatch
import Foundation
import HurdIDLSource
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

/// The server of cstructs.defs: changes every field, so each one is seen to cross both ways.
struct CStructsService: CstructsServer {
  let recorded: Recorded

  func regionInfo(_ target: Void, address: Int64, context: CallContext) throws(ReturnCode) -> Cstructs.RegionInfoT {
    CStructRoundTripTests.sample(seed: address)
  }

  func updateRegion(_ target: Void, info: Cstructs.RegionInfoT, stamp: Cstructs.StampT, context: CallContext) throws(ReturnCode)
    -> Cstructs.UpdateRegionReply
  {
    var next = info
    next.start = info.start &+ 1
    next.offset = info.offset &- 1
    next.protection = ~info.protection
    next.residentSize = info.residentSize &* 2
    next.shared.toggle()
    next.tag = info.tag.reversed()
    next.deltas = info.deltas.map { 0 &- $0 }
    next.load = -info.load
    next.ratio = info.ratio * 2
    next.kind = ~info.kind
    next.nice = info.nice &+ 1
    return Cstructs.UpdateRegionReply(info: next, previous: Cstructs.StampT(source: stamp.source &+ 1, when: ~stamp.when))
  }

  func recordStamp(_ target: Void, stamp: Cstructs.StampT, context: CallContext) throws(ReturnCode) {
    recorded.append(stamp)
  }

  func wrap(_ target: Void, outer: InlineArray<2, Int64>, context: CallContext) throws(ReturnCode) -> InlineArray<2, Int64> {
    [outer[1], outer[0]]
  }
}

/// Stamps a one-way routine delivered, for the test to wait for.
final class Recorded: Sendable {
  private let lock = NSLock()
  nonisolated(unsafe) private var stamps: [Cstructs.StampT] = []
  let arrived = DispatchSemaphore(value: 0)

  func append(_ stamp: Cstructs.StampT) {
    lock.withLock { stamps.append(stamp) }
    arrived.signal()
  }

  var all: [Cstructs.StampT] { lock.withLock { stamps } }
}

/// A cstructs.defs server on an L4 server thread.
final class CStructsHarness: Sendable {
  let kernel = L4Kernel()
  let transport: L4ServerTransport
  let client: CstructsClient<L4ClientTransport>
  let recorded = Recorded()
  private let done = DispatchSemaphore(value: 0)

  init() {
    transport = L4ServerTransport(space: kernel.createSpace())
    client = CstructsClient(transport: L4ClientTransport(space: kernel.createSpace(), server: transport))
    let transport = transport
    let done = done
    let dispatcher = RequestDispatcher(CstructsDemux(CStructsService(recorded: recorded)))
    DispatchQueue(label: "cstructs-server").async {
      try? transport.serve(dispatcher)
      done.signal()
    }
  }

  func finish() {
    transport.shutdown()
    done.wait()
  }
}

func caught<T>(_ body: () throws(RPCError) -> T) -> RPCError? {
  do throws(RPCError) {
    _ = try body()
    return nil
  } catch {
    return error
  }
}

@Suite("C structs mapped to Swift structs, over the L4 transport")
struct CStructRoundTripTests {
  /// Distinct values in every field, from a seed (extremes at the edges of each width).
  static func sample(seed: Int64) -> Cstructs.RegionInfoT {
    Cstructs.RegionInfoT(
      start: UInt64.max - UInt64(truncatingIfNeeded: seed), offset: Int64.min &+ seed, protection: Int32.min + 7,
      residentSize: UInt32.max - 3, shared: seed % 2 == 0, tag: [0, 0x7F, 0xFF], deltas: [Int16.min, Int16.max],
      load: -1.5e-300, ratio: .leastNonzeroMagnitude, kind: 0xBEEF, nice: -128)
  }

  @Test func everyFieldArrivesFromTheServer() throws {
    let harness = CStructsHarness()
    defer { harness.finish() }
    for seed: Int64 in [0, 1, -1, .max] {
      let info = try harness.client.regionInfo(address: seed)
      let expected = Self.sample(seed: seed)
      #expect(info.start == expected.start && info.offset == expected.offset)
      #expect(info.protection == Int32.min + 7 && info.residentSize == UInt32.max - 3)
      #expect(info.shared == (seed % 2 == 0))
      #expect(info.tag == [0, 0x7F, 0xFF] && info.deltas == [Int16.min, Int16.max])
      #expect(info.load == -1.5e-300 && info.ratio == .leastNonzeroMagnitude)
      #expect(info.kind == 0xBEEF && info.nice == -128)
      #expect(info == expected)
    }
  }

  @Test func inoutStructsCrossBothWays() throws {
    let harness = CStructsHarness()
    defer { harness.finish() }
    let sent = Self.sample(seed: 41)
    let reply = try harness.client.updateRegion(info: sent, stamp: Cstructs.StampT(source: 0xFE, when: 0x0123_4567_89AB_CDEF))
    #expect(reply.info.start == sent.start &+ 1 && reply.info.offset == sent.offset &- 1)
    #expect(reply.info.protection == ~sent.protection && reply.info.residentSize == sent.residentSize &* 2)
    #expect(reply.info.shared == !sent.shared)
    #expect(reply.info.tag == [0xFF, 0x7F, 0] && reply.info.deltas == [Int16.min, -Int16.max])
    #expect(reply.info.load == 1.5e-300 && reply.info.ratio == 2 * .leastNonzeroMagnitude)
    #expect(reply.info.kind == ~UInt16(0xBEEF) && reply.info.nice == -127)
    #expect(reply.previous == Cstructs.StampT(source: 0xFF, when: ~0x0123_4567_89AB_CDEF))
  }

  @Test func oneWayStructs() throws {
    let harness = CStructsHarness()
    defer { harness.finish() }
    try harness.client.recordStamp(stamp: Cstructs.StampT(source: 3, when: .max))
    #expect(harness.recorded.arrived.wait(timeout: .now() + 10) == .success)
    #expect(harness.recorded.all == [Cstructs.StampT(source: 3, when: .max)])
  }

  @Test func asyncCallsUseTheStructsToo() async throws {
    let harness = CStructsHarness()
    defer { harness.finish() }
    let info = try await harness.client.regionInfo(address: 8)
    #expect(info == Self.sample(seed: 8))
  }

  @Test func aStructOfStructsStaysAnArray() throws {
    let harness = CStructsHarness()
    defer { harness.finish() }
    let wrapped = try harness.client.wrap(outer: [1, -2])
    #expect(wrapped[0] == -2 && wrapped[1] == 1)
  }

  @Test func arrayFieldsAreCheckedBeforeSending() throws {
    let harness = CStructsHarness()
    defer { harness.finish() }
    var info = Self.sample(seed: 1)
    info.tag = [1, 2, 3, 4]
    let error = caught { () throws(RPCError) in try harness.client.updateRegion(info: info, stamp: .init(source: 0, when: 0)) }
    #expect(error?.code == .arrayTooLarge)
    #expect(error?.message.contains("info.tag") == true)
  }

  /// The packed bytes are the C layout: `shared` is byte 24 of the request's words, and a byte
  /// other than 0 or 1 there is a malformed request, refused before the handler runs.
  @Test func theWireBytesAreTheCLayout() throws {
    let rpc = RPCClient(
      transport: LoopbackTransport(dispatcher: RequestDispatcher(CstructsDemux(CStructsService(recorded: Recorded())))))
    // Words 0–5 hold region_info_t (start, offset, protection|resident_size, shared|tag|deltas,
    // load, ratio|kind|nice), words 6–7 stamp_t (source and 7 padding bytes, when).
    var words = [UInt64](repeating: 0, count: 8)
    words[0] = 10  // start
    words[3] = 0xFFFE_0002_0000_0001  // shared = true, tag = [0, 0, 0], deltas = [2, -2]
    let good = try Message(label: 5101, words: words)
    let reply = try rpc.call(good)
    #expect(reply.words[0] == 0)  // RetCode: KERN_SUCCESS
    #expect(reply.words[1] == 11)  // start + 1, at byte 8 of the reply (after RetCode)
    #expect(reply.words[4] == 0x0002_FFFE_0000_0000)  // shared false, deltas negated: [-2, 2]
    words[3] = 2  // `shared` = 2: not a C _Bool
    let bad = try Message(label: 5101, words: words)
    let error = caught { () throws(RPCError) in try rpc.call(bad) }
    #expect(error?.code == .badArguments)
    // The demux names the field it refused (the client sees the return code only).
    var refusal = Message(label: 0)
    let dispatchError = caught { () throws(RPCError) in
      try CstructsDemux(CStructsService(recorded: Recorded())).dispatch(
        bad, reply: &refusal,
        context: CallContext(caller: CallerIdentity(domain: 1, badge: 1), requestLabel: 5101, expectsReply: true))
    }
    #expect(dispatchError?.message.contains("info.shared") == true, "\(String(describing: dispatchError))")
  }

  @Test func theGeneratedFileIsWhatTheEmitterWritesNow() throws {
    let output = CStructsFixture.generate()
    let file = try #require(output.file, "\(output.diagnostics)")
    // The struct of structs is reported, not dropped silently.
    #expect(output.diagnostics.map(\.code.rawValue) == ["c-struct-not-mapped"])
    if ProcessInfo.processInfo.environment["HURDIDL_UPDATE_GOLDENS"] == "1" {
      try file.contents.write(toFile: CStructsFixture.generated, atomically: true, encoding: .utf8)
      return
    }
    let committed = try String(contentsOfFile: CStructsFixture.generated, encoding: .utf8)
    #expect(
      file.contents == committed,
      "cstructs.hurdidl.swift differs from the emitter's output; review and regenerate with HURDIDL_UPDATE_GOLDENS=1 swift test --filter HurdIDLCStructRoundTripTests")
  }

  /// The generated layout constants against gcc's `sizeof` and `offsetof`.
  @Test func layoutConstantsAgreeWithGCC() throws {
    let program = """
      #include <stddef.h>
      #include <stdio.h>
      #include "cstructs.h"
      int main(void) {
        printf("%zu %zu %zu %zu %zu %zu %zu %zu %zu %zu %zu %zu\\n", sizeof(region_info_t),
          offsetof(region_info_t, start), offsetof(region_info_t, offset), offsetof(region_info_t, protection),
          offsetof(region_info_t, resident_size), offsetof(region_info_t, shared), offsetof(region_info_t, tag),
          offsetof(region_info_t, deltas), offsetof(region_info_t, load), offsetof(region_info_t, ratio),
          offsetof(region_info_t, kind), offsetof(region_info_t, nice));
        printf("%zu %zu %zu\\n", sizeof(stamp_t), offsetof(stamp_t, source), offsetof(stamp_t, when));
        return 0;
      }
      """
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hurdidl-cstructs-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try program.write(to: folder.appendingPathComponent("layout.c"), atomically: true, encoding: .utf8)
    let binary = folder.appendingPathComponent("layout").path
    #expect(try run("/usr/bin/gcc", ["-I", CStructsFixture.folder, "-o", binary, folder.appendingPathComponent("layout.c").path]).status == 0)
    let lines = try run(binary, []).output.split(separator: "\n").map { $0.split(separator: " ").compactMap { Int($0) } }
    #expect(lines == [[Cstructs.RegionInfoT.cSize] + Cstructs.RegionInfoT.cFieldOffsets, [Cstructs.StampT.cSize] + Cstructs.StampT.cFieldOffsets])
  }

  private func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}
