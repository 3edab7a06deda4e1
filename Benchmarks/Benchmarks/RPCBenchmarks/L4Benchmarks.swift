import Benchmark
import CPinning
import Dispatch
import HurdRPC
import HurdRPCL4

// L4 backend benchmarks at the kernel-API level: a client L4 thread calls a server L4 thread
// that runs `serve`. Unpinned rigs call from the benchmark thread itself, adopted as an L4
// thread (`L4Kernel.currentThread(in:)`), like the raw hand-off row. Pinned rigs need a client
// thread of their own on a chosen CPU: the benchmark closure hands it a batch of calls and waits
// (one semaphore round per batch of 1,000 calls; on an idle machine that wake-up costs tens of
// microseconds, i.e. tens of ns per call, which is why the unpinned rigs avoid it).

/// One client/server pair plus the batch hand-off.
final class L4CallRig: @unchecked Sendable {
  let kernel = L4Kernel()
  let clientSpace: L4AddressSpace
  let serverSpace: L4AddressSpace
  private var server: L4Thread?
  /// The pinned client thread; nil when the benchmark thread calls itself.
  private var client: L4Thread?
  private let serverID: L4ThreadID
  private let prepareClient: @Sendable (L4ThreadContext) -> Void
  private let load: @Sendable (L4ThreadContext) -> Void
  /// Adopted contexts that `prepareClient` has run on (buffer registers are per thread).
  private var preparedContexts: [ObjectIdentifier] = []
  private let go = DispatchSemaphore(value: 0)
  private let done = DispatchSemaphore(value: 0)
  // Written before `go.signal()`, read by the client thread after `go.wait()`.
  private var batch = 0
  private var stopping = false
  /// Calls that failed (must stay 0; checked in teardown).
  private(set) var failures = 0

  /// - Parameters:
  ///   - prepareServer: runs once on the server thread before it serves (buffer registers).
  ///   - handle: the server's request handler.
  ///   - prepareClient: runs once on the client thread (memory, buffer registers).
  ///   - load: loads one request into the client's message registers before each call.
  init(
    mode: L4DispatchMode,
    placement: Placement? = nil,
    prepareServer: @escaping @Sendable (L4ThreadContext) -> Void = { _ in },
    handle: @escaping L4RequestHandler,
    prepareClient: @escaping @Sendable (L4ThreadContext) -> Void = { _ in },
    load: @escaping @Sendable (L4ThreadContext) -> Void
  ) {
    clientSpace = kernel.createSpace()
    serverSpace = kernel.createSpace()
    let ready = DispatchSemaphore(value: 0)
    server = kernel.spawn(in: serverSpace, name: "bench-server") { ctx in
      if let placement { _ = bench_pin_current_thread(placement.serverCPU) }
      prepareServer(ctx)
      ready.signal()
      ctx.serve(mode, handler: handle)
    }
    ready.wait()
    serverID = server!.id
    self.prepareClient = prepareClient
    self.load = load
    if let placement {
      client = kernel.spawn(in: clientSpace, name: "bench-client") { [self] ctx in
        _ = bench_pin_current_thread(placement.clientCPU)
        prepareClient(ctx)
        while true {
          go.wait()
          if stopping { break }
          perform(calls: batch, from: ctx)
          done.signal()
        }
      }
    }
    // Let the server reach its open wait before the first call (direct dispatch needs it idle).
    run(calls: 1)
  }

  private func perform(calls: Int, from ctx: L4ThreadContext) {
    for _ in 0..<calls {
      load(ctx)
      do throws(L4ErrorCode) {
        _ = try ctx.call(serverID)
      } catch {
        failures += 1
      }
    }
  }

  /// Performs `calls` calls and returns when they are done: on the pinned client thread, or on
  /// the calling thread adopted as an L4 thread of the client space.
  func run(calls: Int) {
    guard client != nil else {
      let ctx = kernel.currentThread(in: clientSpace)
      let id = ObjectIdentifier(ctx)
      if !preparedContexts.contains(id) {
        prepareClient(ctx)
        preparedContexts.append(id)
      }
      perform(calls: calls, from: ctx)
      return
    }
    batch = calls
    go.signal()
    done.wait()
  }

  func stop() {
    stopping = true
    if client != nil { go.signal() }
    client?.join()
    server?.stopServing()
    server?.join()
  }
}

/// Fresh memory of `size` bytes in `space` at a size-aligned base (a valid fpage).
func allocateFpage(_ space: L4AddressSpace, log2Size: Int) -> L4Fpage {
  guard let base = try? space.allocate(size: 1 << UInt64(log2Size)),
    let fpage = L4Fpage(base: base, log2Size: log2Size)
  else { fatalError("cannot allocate 2^\(log2Size) bytes in \(space)") }
  return fpage
}

let serverWindowBase: UInt64 = 0x4000_0000

func registerL4Benchmarks() {
  // Null call: label + one word out, one word back; unpinned, then with both threads on one CPU
  // and on two (compare with the pinned raw hand-off rows).
  let nullCalls: [(String, L4DispatchMode, Placement?)] =
    [("L4 null call, thread <-> thread", .threaded, nil), ("L4 null call, direct dispatch", .direct, nil)]
    + Placement.allCases.map { ("L4 null call, thread <-> thread, \($0.label)", .threaded, $0) }
  for (name, mode, placement) in nullCalls {
    nonisolated(unsafe) var rig: L4CallRig?
    Benchmark(
      name,
      configuration: .init(
        scalingFactor: .kilo,
        setup: {
          rig = L4CallRig(
            mode: mode,
            placement: placement,
            handle: { request in
              request.registers[1] = request.registers[1] &+ 1
              request.registers.tag = L4MessageTag(label: 1, untyped: 1)
              return .reply
            },
            load: { ctx in
              ctx.mr[1] = 41
              ctx.mr.tag = L4MessageTag(label: 7, untyped: 1)
            })
        },
        teardown: {
          rig?.stop()
          precondition(rig?.failures == 0, "\(name): calls failed")
          rig = nil
        })
    ) { benchmark in
      rig?.run(calls: benchmark.scaledIterations.count)
    }
  }

  // A call carrying one string item, copied into the server's receive buffer.
  func stringCall(_ name: String, bytes: Int, scaling: BenchmarkScalingFactor) {
    nonisolated(unsafe) var rig: L4CallRig?
    let log2 = Int.bitWidth - (bytes - 1).leadingZeroBitCount
    Benchmark(
      name,
      configuration: .init(
        scalingFactor: scaling,
        setup: {
          let source = ManagedAddress()
          rig = L4CallRig(
            mode: .threaded,
            prepareServer: { ctx in
              let buffer = allocateFpage(ctx.space, log2Size: log2)
              ctx.br.accept(stringBuffers: [L4StringItem(address: buffer.base, length: UInt64(bytes))])
            },
            handle: { request in
              request.registers.tag = L4MessageTag(label: 1)
              return .reply
            },
            prepareClient: { ctx in
              let page = allocateFpage(ctx.space, log2Size: log2)
              try? ctx.space.write([UInt8](repeating: 0x5A, count: bytes), at: page.base)
              source.address = page.base
            },
            load: { ctx in
              ctx.mr.load(label: 7, items: [.string(L4StringItem(address: source.address, length: UInt64(bytes)))])
            })
        },
        teardown: {
          rig?.stop()
          precondition(rig?.failures == 0, "\(name): calls failed")
          rig = nil
        })
    ) { benchmark in
      rig?.run(calls: benchmark.scaledIterations.count)
    }
  }
  stringCall("L4 call + 4 KiB string item", bytes: 4096, scaling: .kilo)
  stringCall("L4 call + 1 MiB string item (copy)", bytes: 1 << 20, scaling: .kilo)

  // Map: the client maps its region into the server's window; the server drops it again before
  // replying (so every call maps afresh).
  func mapCall(_ name: String, log2Size: Int) {
    nonisolated(unsafe) var rig: L4CallRig?
    Benchmark(
      name,
      configuration: .init(
        scalingFactor: .kilo,
        setup: {
          let region = ManagedAddress()
          let window = L4Fpage(base: serverWindowBase, log2Size: log2Size)!
          rig = L4CallRig(
            mode: .threaded,
            prepareServer: { ctx in ctx.br.accept(receiveWindow: window) },
            handle: { request in
              request.server.space.unmap(window)
              request.registers.tag = L4MessageTag(label: 1)
              return .reply
            },
            prepareClient: { ctx in region.address = allocateFpage(ctx.space, log2Size: log2Size).base },
            load: { ctx in
              let fpage = L4Fpage(base: region.address, log2Size: log2Size)!
              ctx.mr.load(label: 7, items: [.map(fpage: fpage, sendBase: 0)])
            })
        },
        teardown: {
          rig?.stop()
          precondition(rig?.failures == 0, "\(name): calls failed")
          rig = nil
        })
    ) { benchmark in
      rig?.run(calls: benchmark.scaledIterations.count)
    }
  }
  mapCall("L4 call + map 4 KiB", log2Size: 12)
  mapCall("L4 call + map 1 MiB", log2Size: 20)

  // Grant: the client grants its region to the server, which grants it back in the reply
  // (two grants per call; the region ends each call where it started).
  func grantCall(_ name: String, log2Size: Int) {
    nonisolated(unsafe) var rig: L4CallRig?
    Benchmark(
      name,
      configuration: .init(
        scalingFactor: .kilo,
        setup: {
          let region = ManagedAddress()
          let window = L4Fpage(base: serverWindowBase, log2Size: log2Size)!
          rig = L4CallRig(
            mode: .threaded,
            prepareServer: { ctx in ctx.br.accept(receiveWindow: window) },
            handle: { request in
              request.registers.load(label: 1, items: [.grant(fpage: window, sendBase: 0)])
              return .reply
            },
            prepareClient: { ctx in
              let fpage = allocateFpage(ctx.space, log2Size: log2Size)
              region.address = fpage.base
              ctx.br.accept(receiveWindow: fpage)
            },
            load: { ctx in
              let fpage = L4Fpage(base: region.address, log2Size: log2Size)!
              ctx.mr.load(label: 7, items: [.grant(fpage: fpage, sendBase: 0)])
            })
        },
        teardown: {
          rig?.stop()
          precondition(rig?.failures == 0, "\(name): calls failed")
          rig = nil
        })
    ) { benchmark in
      rig?.run(calls: benchmark.scaledIterations.count)
    }
  }
  grantCall("L4 call + grant 4 KiB (and back)", log2Size: 12)
  grantCall("L4 call + grant 1 MiB (and back)", log2Size: 20)
}

/// An address set once on the client thread before any call reads it.
final class ManagedAddress: @unchecked Sendable {
  var address: UInt64 = 0
}
