import CSocketSupport
import Dispatch
@_spi(Transport) import HurdRPC
import HurdRPCSocket
import HurdRPCSocketTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The helper server's open descriptors, asked over `client` (whose one connection is counted).
func descriptors(of client: RPCClient<SocketClientTransport>) throws -> UInt64 {
  try client.call(Message(label: SocketEchoService.openDescriptors)).word(at: 1)
}

/// A datagram in the wire layout, for forging hostile ones.
func forged(
  kind: UInt8 = 1, items: UInt8 = 0, fds: UInt8 = 0, label: UInt64 = SocketEchoService.add, untyped: Int, typed: Int = 0,
  words: [UInt64], descriptors: [[UInt8]] = [], inline: [UInt8] = []
) -> [UInt8] {
  var bytes: [UInt8] = []
  func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
  put(UInt32(0x4352_5048))
  bytes += [1, kind, items, fds]
  put(UInt64(1))
  put(label << 16 | UInt64(typed) << 6 | UInt64(untyped))
  put(UInt64(0))
  put(UInt32(inline.count))
  put(UInt32(0))
  for word in words { put(word) }
  for descriptor in descriptors { bytes += descriptor }
  return bytes + inline
}

/// A 24-byte item descriptor.
func itemDescriptor(kind: UInt8, aux: UInt8 = 0, fdIndex: UInt32, offset: UInt64 = 0, length: UInt64) -> [UInt8] {
  var bytes: [UInt8] = [kind, aux, 0, 0]
  withUnsafeBytes(of: fdIndex.littleEndian) { bytes.append(contentsOf: $0) }
  withUnsafeBytes(of: offset.littleEndian) { bytes.append(contentsOf: $0) }
  withUnsafeBytes(of: length.littleEndian) { bytes.append(contentsOf: $0) }
  return bytes
}

/// A memfd of `size` bytes, sealed as asked.
func memfd(size: UInt64, seal: Int32?) -> Int32 {
  let fd = hurd_memfd_create("test", size)
  if let seal { _ = hurd_memfd_seal(fd, seal) }
  return fd
}

/// Whether process `pid` runs (exists and is not a zombie waiting for its new parent to reap it).
func isRunning(_ pid: pid_t) -> Bool {
  let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { return false }
  defer { close(fd) }
  var buffer = [UInt8](repeating: 0, count: 512)
  let count = read(fd, &buffer, buffer.count)
  // "pid (comm) S …": the state follows the last parenthesis.
  guard count > 0, let end = buffer[0..<count].lastIndex(of: UInt8(ascii: ")")), end + 2 < count else { return false }
  return buffer[end + 2] != UInt8(ascii: "Z") && buffer[end + 2] != UInt8(ascii: "X")
}

/// Whether the peer closed `fd` within a few seconds (what a server does to a hostile connection).
func closedByPeer(_ fd: Int32) -> Bool {
  var buffer = [UInt8](repeating: 0, count: 256 * 1024)
  let end = ContinuousClock.now.advanced(by: .seconds(10))
  while ContinuousClock.now < end {
    _ = hurd_poll(fd, hurd_poll_in, 100_000_000)
    let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
    if n == 0 || (n < 0 && errno == ECONNRESET) { return true }
  }
  return false
}

@Suite("Socket transport faults")
struct SocketFaultTests {
  enum Hostile: String, CaseIterable, CustomTestStringConvertible {
    case garbage, shorterThanAHeader, truncatedWords, oversized, undeclaredDescriptors, descriptorOfNoItem
    case reusedDescriptorIndex, unsealedSharedString, unsealedRegionSize, unknownKind
    var testDescription: String { rawValue }

    /// The datagram and the descriptors to attach.
    func message(maxDatagram: Int) -> ([UInt8], [Int32]) {
      switch self {
      case .garbage: return ((0..<100).map { UInt8(truncatingIfNeeded: $0 &* 37) }, [])
      case .shorterThanAHeader: return (Array(forged(untyped: 0, words: []).prefix(10)), [])
      case .truncatedWords: return (forged(untyped: 5, words: [1, 2]), [])
      case .oversized: return (forged(untyped: 0, words: []) + [UInt8](repeating: 7, count: maxDatagram + 1000), [])
      case .undeclaredDescriptors:
        return (forged(untyped: 2, words: [1, 2]), [memfd(size: 4096, seal: 0), memfd(size: 4096, seal: 0)])
      case .descriptorOfNoItem: return (forged(fds: 1, untyped: 2, words: [1, 2]), [memfd(size: 4096, seal: 0)])
      case .reusedDescriptorIndex:
        let region = itemDescriptor(kind: 3, aux: 6, fdIndex: 0, length: 10)
        return (
          forged(items: 2, fds: 2, untyped: 0, typed: 4, words: [], descriptors: [region, region]),
          [memfd(size: 4096, seal: 0), memfd(size: 4096, seal: 0)]
        )
      case .unsealedSharedString:
        return (
          forged(items: 1, fds: 1, untyped: 0, typed: 2, words: [], descriptors: [itemDescriptor(kind: 2, fdIndex: 0, length: 100)]),
          [memfd(size: 4096, seal: nil)]
        )
      case .unsealedRegionSize:
        return (
          forged(items: 1, fds: 1, untyped: 0, typed: 2, words: [], descriptors: [itemDescriptor(kind: 3, aux: 6, fdIndex: 0, length: 100)]),
          [memfd(size: 4096, seal: nil)]
        )
      case .unknownKind: return (forged(kind: 9, untyped: 0, words: []), [])
      }
    }
  }

  @Test(arguments: Hostile.allCases)
  func aMalformedMessageClosesOnlyItsConnectionAndItsDescriptors(hostile: Hostile) throws {
    let helper = try HelperProcess("serve", path: socketPath("hostile"))
    defer { helper.finish() }
    let client = RPCClient(transport: helper.client)
    let baseline = try descriptors(of: client)
    let raw = hurd_sock_connect(helper.path)
    #expect(raw >= 0)
    let (bytes, fds) = hostile.message(maxDatagram: SocketTransportConfiguration.default.maxDatagram)
    let sent = bytes.withUnsafeBytes { bytes in
      fds.withUnsafeBufferPointer { hurd_sock_send(raw, bytes.baseAddress, bytes.count, $0.baseAddress, Int32($0.count), 0) }
    }
    for fd in fds { close(fd) }
    if sent >= 0 {  // an oversized datagram may be refused by our own kernel already
      #expect(closedByPeer(raw))
    }
    close(raw)
    // Other clients are served as before, and nothing the hostile peer sent stays open.
    #expect(try client.call(try Message(label: SocketEchoService.add, words: [1, 2])).word(at: 1) == 3)
    #expect(waitUntil { (try? descriptors(of: client)) == baseline })
  }

  @Test func killingTheServerMidCallFailsTheCallerWithServerDied() throws {
    let helper = try HelperProcess("serve", path: socketPath("killed"))
    let client = RPCClient(transport: helper.client)
    let reaped = DispatchSemaphore(value: 0)
    Thread.detach {
      usleep(200_000)
      helper.kill(SIGKILL)
      reaped.signal()
    }
    let start = ContinuousClock.now
    let error = rpcError { () throws(RPCError) in _ = try client.call(try Message(label: SocketEchoService.sleep, words: [30_000])) }
    #expect(error?.code == .serverDied && error?.phase == .receive)
    #expect(ContinuousClock.now - start < .seconds(10))
    // And calls after the process is gone find nobody.
    reaped.wait()
    let later = rpcError { () throws(RPCError) in _ = try client.call(Message(label: SocketEchoService.add)) }
    #expect(later?.code == .nonExistingPartner)
  }

  @Test func killingAClientMidCallReleasesTheWorkerAndItsDescriptors() throws {
    let server = try HelperProcess("serve", path: socketPath("victim"), extra: ["--workers", "1"])
    defer { server.finish() }
    let client = RPCClient(transport: server.client)
    let baseline = try descriptors(of: client)
    let caller = try HelperProcess("call-and-wait", path: server.path)
    let waiting = { () -> UInt64? in try? client.call(Message(label: SocketEchoService.waitingHandlers)).word(at: 1) }
    #expect(waitUntil { waiting() == 1 })
    #expect(try descriptors(of: client) == baseline + 1)
    caller.kill(SIGKILL)
    // The hang-up cancels the handler, the worker goes back to serving, the connection is closed.
    #expect(waitUntil { waiting() == 0 })
    #expect(waitUntil { (try? descriptors(of: client)) == baseline })
  }

  /// The memory side of a client killed mid-call: the 1 MiB region its request carried is
  /// mapped in the server while the handler runs, and unmapped once the hang-up ended the call.
  @Test func killingAClientMidCallUnmapsTheSharedMemoryItsRequestCarried() throws {
    let server = try HelperProcess("serve", path: socketPath("victim-memory"), extra: ["--workers", "1"])
    defer { server.finish() }
    let client = RPCClient(transport: server.client)
    let mappings = { () -> [UInt64]? in
      guard let reply = try? client.call(Message(label: SocketEchoService.sharedMemory)) else { return nil }
      return [(try? reply.word(at: 1)) ?? .max, (try? reply.word(at: 2)) ?? .max]
    }
    let baseline = try #require(mappings())
    let openDescriptors = try descriptors(of: client)
    let caller = try HelperProcess("call-and-wait", path: server.path, extra: ["--region", "1048576"])
    let waiting = { () -> UInt64? in try? client.call(Message(label: SocketEchoService.waitingHandlers)).word(at: 1) }
    #expect(waitUntil { waiting() == 1 })
    #expect(mappings() == [baseline[0] + 1, baseline[1] + 1_048_576])
    caller.kill(SIGKILL)
    #expect(waitUntil { waiting() == 0 })
    #expect(waitUntil { mappings() == baseline })
    #expect(waitUntil { (try? descriptors(of: client)) == openDescriptors })
  }

  @Test func aClientThatStopsReadingCannotBlockTheServer() throws {
    let helper = try HelperProcess("serve", path: socketPath("lazy"))
    defer { helper.finish() }
    let client = RPCClient(transport: helper.client)
    let baseline = try descriptors(of: client)
    let raw = hurd_sock_connect(helper.path)
    // Requests for inline 16 KiB replies, never read: the replies fill the socket, and the
    // server, which never blocks on a reply, drops this connection.
    let request = forged(label: SocketEchoService.makeString, untyped: 1, words: [UInt64(SocketTransportConfiguration.measuredCopyThreshold)])
    for _ in 0..<100 {
      _ = request.withUnsafeBytes { hurd_sock_send(raw, $0.baseAddress, $0.count, nil, 0, Int32(MSG_DONTWAIT)) }
    }
    #expect(try client.call(try Message(label: SocketEchoService.add, words: [2, 2])).word(at: 1) == 4)
    // (Reading before the server gave up would make room for its replies.)
    #expect(waitUntil { (try? descriptors(of: client)) == baseline })
    #expect(closedByPeer(raw))
    close(raw)
  }

  @Test func aHelperDiesWithTheProcessThatSpawnedIt() throws {
    // An intermediate helper spawns a serving helper, then is killed -9: it runs no clean-up, so
    // only the kernel (PR_SET_PDEATHSIG, `ChildProcess`) can end the helper it spawned.
    let intermediate = try HelperProcess("spawn-helper", path: socketPath("orphan"))
    let line = intermediate.line(within: 10_000) ?? ""
    guard line.hasPrefix("helper "), let orphan = pid_t(line.dropFirst("helper ".count)) else {
      intermediate.kill(SIGKILL)
      Issue.record("the intermediate helper said \(line)")
      return
    }
    #expect(isRunning(orphan))
    intermediate.kill(SIGKILL)
    let gone = waitUntil(seconds: 10) { !isRunning(orphan) }
    if !gone { _ = kill(orphan, SIGKILL) }  // leave nothing behind when the rule is broken
    #expect(gone)
  }

  @Test func tenThousandDescriptorsInFlight() throws {
    // Room for the descriptors sitting in socket queues (the kernel counts them against the
    // sender's RLIMIT_NOFILE).
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)

    struct Counter: Demultiplexer {
      let space: SocketCapabilitySpace
      let received = SharedLog<Int>()
      func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
        for capability in request.capabilities { space.deallocate(capability.name) }
        received.append(request.capabilities.count)
      }
    }
    let serverSpace = SocketCapabilitySpace()
    let clientSpace = SocketCapabilitySpace()
    let path = socketPath("inflight")
    let server = try LocalServer(
      path: path, configuration: SocketTransportConfiguration(capabilities: serverSpace), start: false)
    let counter = Counter(space: serverSpace)
    let names = (0..<31).map { _ in clientSpace.insertSendRight(descriptor: memfd(size: 4096, seal: 0)) }
    var message = Message(label: 1)
    for name in names { try message.append(.capability(CapabilityItem(name, disposition: .copySend))) }
    // 10 connections × 33 one-way messages × 31 descriptors, all queued before anyone reads.
    let clients = (0..<10).map { _ in SocketClientTransport(path: path, configuration: SocketTransportConfiguration(capabilities: clientSpace)) }
    for client in clients {
      for _ in 0..<33 { try client.send(message, options: .default) }
    }
    server.start(RequestDispatcher(counter))
    #expect(waitUntil { counter.received.values.reduce(0, +) == 10 * 33 * 31 })
    #expect(serverSpace.count == 0)
    server.finish()
    for name in names { clientSpace.deallocate(name) }
    #expect(clientSpace.count == 0)
  }
}
