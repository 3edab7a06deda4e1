import Dispatch
@_spi(Transport) import HurdRPC
import HurdRPCSocket

#if canImport(Glibc)
  import Glibc
#endif

/// The service the socket transport's tests serve — in the test process or in a helper
/// process — with routines in the shape generated code has.
public struct SocketEchoService: Demultiplexer {
  public static let add: UInt64 = 100  // (a, b) → a + b
  public static let fail: UInt64 = 101  // (rc) → throws that return code
  public static let note: UInt64 = 102  // one-way: records word 0 and expectsReply
  public static let waitForCancel: UInt64 = 103  // blocks until the caller cancels (or hangs up)
  public static let noReply: UInt64 = 104  // answers MIG_NO_REPLY
  public static let items: UInt64 = 105  // string → reversed; region → first byte + 1, sent back; capability → add through it
  public static let whoAmI: UInt64 = 106  // → pid, uid, gid of the caller (SO_PEERCRED)
  public static let makeString: UInt64 = 107  // (n) → a string of n bytes 0, 1, 2, …
  public static let sleep: UInt64 = 108  // (ms) → sleeps, then replies
  public static let openDescriptors: UInt64 = 109  // → number of open descriptors of the serving process
  public static let makeCapability: UInt64 = 110  // (badge) → a send right to an object of this server
  public static let deadline: UInt64 = 111  // → 1 and the µs left if the context has a deadline, else 0
  public static let regionSum: UInt64 = 112  // region → sum of its bytes (reads every byte, as a bulk consumer does)
  public static let waitingHandlers: UInt64 = 113  // → number of waitForCancel handlers still running
  public static let sharedMemory: UInt64 = 114  // → number and total bytes of memfd mappings of the serving process
  // What the handlers saw, for a test whose server runs in another process:
  public static let logEntries: UInt64 = 115  // (from) → the log's entries from index `from`, one string, "\n"-separated
  public static let recordCaller: UInt64 = 116  // records context.caller → its index among the recorded ones
  public static let compareCallers: UInt64 = 117  // (i, j) → recorded callers i and j: equal (1/0), same domain (1/0)
  public static let barrier: UInt64 = 118  // (n) → 1 once n barrier handlers are inside at once (ETIMEDOUT after 10 s)
  public static let shutDownServer: UInt64 = 119  // one-way: the server shuts down (from another thread)
  public static let grantHeap: UInt64 = 120  // (count) → a grant of `count` heap bytes at offset 100 of a buffer it keeps
  public static let keptHeap: UInt64 = 121  // → of that buffer: non-zero bytes in the granted window, changed bytes outside it

  public let log = SharedLog<String>()
  public let identities = SharedLog<CallerIdentity>()
  public let started = DispatchSemaphore(value: 0)
  let waiting = SharedLog<Int>()
  let barrierArrivals = SharedLog<Int>()
  /// The heap buffers `grantHeap` granted a window of (the last one is examined by `keptHeap`).
  let grantedHeap = SharedLog<MemoryRegion>()
  /// Names a receive right for `badge` (set when the server can make capabilities).
  let objects: (@Sendable (UInt64) throws(RPCError) -> CapabilityName)?
  /// Shuts the serving transport down (set when the server allows `shutDownServer`).
  let shutDown: (@Sendable () -> Void)?

  public init(
    objects: (@Sendable (UInt64) throws(RPCError) -> CapabilityName)? = nil, shutDown: (@Sendable () -> Void)? = nil
  ) {
    self.objects = objects
    self.shutDown = shutDown
  }

  /// Where `grantHeap` puts its window in the kept buffer (not page aligned, so the window has
  /// partial pages at both ends).
  public static let grantedHeapOffset = 100

  /// The byte `grantHeap` fills index `i` of its buffer with (never zero).
  public static func heapPattern(_ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: i % 251 + 1) }

  public func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    switch request.label {
    case Self.add:
      try reply.append(try request.word(at: 0) &+ request.word(at: 1))
    case Self.fail:
      throw RPCError(.returnCode(ReturnCode(Int32(truncatingIfNeeded: try request.word(at: 0)))))
    case Self.note:
      log.append("note \(try request.word(at: 0)) expectsReply=\(context.expectsReply)")
      throw RPCError(.returnCode(.migNoReply))
    case Self.waitForCancel:
      let cancelled = DispatchSemaphore(value: 0)
      context.onCancel { cancelled.signal() }
      waiting.append(1)
      started.signal()
      cancelled.wait()
      log.append("handler saw cancellation: \(context.isCancelled)")
      waiting.append(-1)
    case Self.noReply:
      log.append("no reply")
      started.signal()
      reply.setReplyReturnCode(.migNoReply)
    case Self.items:
      for item in request.items {
        switch item {
        case .string(let string):
          try reply.append(.string(StringItem(Array(string.bytes.reversed()))))
        case .region(let region):
          if region.rights.contains(.write) { region.region.withUnsafeMutableBytes { $0[0] &+= 1 } }
          try reply.append(.region(region))
        case .capability(let capability):
          let client = RPCClient(transport: try SocketCapabilitySpace.process.client(for: capability.name))
          let sum = try client.call(try Message(label: Self.add, words: [request.word(at: 0), request.word(at: 1)]))
          SocketCapabilitySpace.process.deallocate(capability.name)
          try reply.append(try sum.word(at: 1))
        }
      }
    case Self.whoAmI:
      identities.append(context.caller)
      guard let credentials = context.peerCredentials else { throw RPCError(.returnCode(.EPERM)) }
      try reply.append(UInt64(UInt32(bitPattern: credentials.processID)))
      try reply.append(UInt64(credentials.userID))
      try reply.append(UInt64(credentials.groupID))
    case Self.makeString:
      let count = Int(try request.word(at: 0))
      try reply.append(.string(StringItem((0..<count).map { UInt8(truncatingIfNeeded: $0) })))
    case Self.sleep:
      started.signal()
      usleep(UInt32(try request.word(at: 0)) * 1000)
    case Self.openDescriptors:
      try reply.append(UInt64(openDescriptorCount()))
    case Self.makeCapability:
      guard let objects else { throw RPCError(.returnCode(.ENOSYS)) }
      try reply.append(.capability(CapabilityItem(try objects(try request.word(at: 0)), disposition: .makeSend)))
    case Self.deadline:
      if let deadline = context.deadline {
        try reply.append(1)
        let left = ContinuousClock.now.duration(to: deadline)
        try reply.append(UInt64(max(0, left.components.seconds * 1_000_000 + left.components.attoseconds / 1_000_000_000_000)))
      } else {
        try reply.append(0)
      }
    case Self.waitingHandlers:
      try reply.append(UInt64(waiting.values.reduce(0, +)))
    case Self.sharedMemory:
      let (count, bytes) = sharedMemoryMappings()
      try reply.append(UInt64(count))
      try reply.append(UInt64(bytes))
    case Self.regionSum:
      guard let region = request.regions.first else { throw RPCError(.badArguments) }
      let sum = region.region.withUnsafeBytes { bytes in bytes.reduce(UInt64(0)) { $0 &+ UInt64($1) } }
      try reply.append(sum)
    case Self.logEntries:
      let entries = log.values.dropFirst(Int(try request.word(at: 0)))
      try reply.append(.string(StringItem(Array(entries.joined(separator: "\n").utf8))))
    case Self.recordCaller:
      identities.append(context.caller)
      try reply.append(UInt64(identities.values.count - 1))
    case Self.compareCallers:
      let callers = identities.values
      let (i, j) = (Int(try request.word(at: 0)), Int(try request.word(at: 1)))
      guard i < callers.count, j < callers.count else { throw RPCError(.badArguments, "no such recorded caller") }
      try reply.append(callers[i] == callers[j] ? 1 : 0)
      try reply.append(callers[i].isSameDomain(as: callers[j]) ? 1 : 0)
    case Self.barrier:
      barrierArrivals.append(1)
      let parties = Int(try request.word(at: 0))
      guard waitUntil(seconds: 10, { barrierArrivals.values.count >= parties }) else {
        throw RPCError(.returnCode(.ETIMEDOUT))
      }
      try reply.append(1)
    case Self.shutDownServer:
      guard let shutDown else { throw RPCError(.returnCode(.ENOSYS)) }
      // Not on this serving thread: shutdown waits for nothing, but the handler must return.
      DispatchQueue(label: "shutDownServer").async(execute: shutDown)
      throw RPCError(.returnCode(.migNoReply))
    case Self.grantHeap:
      let count = Int(try request.word(at: 0))
      let kept = MemoryRegion(copying: (0..<(count + 2 * Self.grantedHeapOffset)).map(Self.heapPattern))
      grantedHeap.append(kept)
      try reply.append(.region(.grant(kept.slice(offset: Self.grantedHeapOffset, count: count)!)))
    case Self.keptHeap:
      guard let kept = grantedHeap.values.last else { throw RPCError(.badArguments, "nothing granted yet") }
      let window = Self.grantedHeapOffset..<(kept.count - Self.grantedHeapOffset)
      let bytes = kept.bytes
      try reply.append(UInt64(bytes[window].count { $0 != 0 }))
      try reply.append(UInt64(bytes.indices.count { !window.contains($0) && bytes[$0] != Self.heapPattern($0) }))
    default:
      throw RPCError(.badID, "no routine \(request.label)")
    }
  }
}

/// Number of open descriptors of this process (entries of /proc/self/fd, less the one listing it).
public func openDescriptorCount() -> Int {
  guard let directory = opendir("/proc/self/fd") else { return -1 }
  defer { closedir(directory) }
  var count = 0
  while let entry = readdir(directory) {
    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    if name != "." && name != ".." { count += 1 }
  }
  return count - 1  // the directory stream itself
}

/// Shared-memory (memfd) mappings of this process and their total size, from /proc/self/maps:
/// what the socket transport maps for regions it receives.
public func sharedMemoryMappings() -> (count: Int, bytes: Int) {
  guard let file = fopen("/proc/self/maps", "r") else { return (-1, -1) }
  defer { fclose(file) }
  var count = 0
  var bytes = 0
  var line: UnsafeMutablePointer<CChar>? = nil
  var capacity = 0
  defer { free(line) }
  while getline(&line, &capacity, file) > 0, let line {
    let text = String(cString: line)
    guard text.contains("/memfd:") else { continue }
    // "start-end perms offset dev inode path"
    let range = text.prefix { $0 != " " }.split(separator: "-")
    guard range.count == 2, let start = Int(range[0], radix: 16), let end = Int(range[1], radix: 16) else { continue }
    count += 1
    bytes += end - start
  }
  return (count, bytes)
}

/// A list appended to from several threads (pthread-locked: visible to ThreadSanitizer).
public final class SharedLog<Value: Sendable>: @unchecked Sendable {
  private var mutex = pthread_mutex_t()
  private var storage: [Value] = []

  public init() { pthread_mutex_init(&mutex, nil) }

  public func append(_ value: Value) {
    pthread_mutex_lock(&mutex)
    storage.append(value)
    pthread_mutex_unlock(&mutex)
  }

  /// Removes and returns the oldest value, if any.
  public func takeFirst() -> Value? {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    return storage.isEmpty ? nil : storage.removeFirst()
  }

  /// The values appended since the last take, removed from the list.
  public func take() -> [Value] {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    let taken = storage
    storage.removeAll()
    return taken
  }

  public var values: [Value] {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    return storage
  }
}
