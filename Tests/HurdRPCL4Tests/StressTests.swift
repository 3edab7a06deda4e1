import HurdRPCL4
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Calls, timeouts and aborts racing each other: every call ends with its own reply or an IPC
/// error of an expected kind, nothing hangs, and the server keeps serving.
@Suite("L4 races")
struct StressTests {
  @Test(arguments: [L4DispatchMode.threaded, .direct])
  func callsRacingTimeoutsAndAbortsStayConsistent(mode: L4DispatchMode) {
    let kernel = L4Kernel()
    let serverSpace = kernel.createSpace()
    let clientSpace = kernel.createSpace()
    let server = kernel.spawn(in: serverSpace, name: "server") { ctx in
      ctx.serve(mode) { request in
        let word = request.registers[1]
        if word % 7 == 0 { usleep(200) }  // now and then slower than the caller's timeout
        request.registers.load(label: request.tag.label + 1, untyped: [word, request.sender.raw])
        return word % 11 == 0 ? .noReply : .reply
      }
    }
    #expect(waitUntil(server, is: .receiving))
    let wrongReplies = Log<String>()
    let unexpectedErrors = Log<L4ErrorCode>()
    let outcomes = Log<Int>()
    let clients = (0..<3).map { n in
      kernel.spawn(in: clientSpace, name: "client\(n)") { ctx in
        var replies = 0
        for i in 0..<600 {
          let word = L4Word(n * 1_000_000 + i)
          ctx.mr.load(label: 10, untyped: [word])
          let timeouts = L4Timeouts(send: .microseconds(2_000), receive: .microseconds(UInt64(50 + (i % 5) * 100)))
          do throws(L4ErrorCode) {
            let r = try ctx.call(server.id, timeouts: timeouts)
            if r.from != server.id || r.tag.label != 11 || ctx.mr[1] != word || ctx.mr[2] != ctx.id.raw {
              wrongReplies.append("client \(n) call \(i): \(r.tag) \(ctx.mr[1])")
            }
            replies += 1
          } catch {
            switch error.kind {
            case .timeout?, .cancelled?: break
            default: unexpectedErrors.append(error)
            }
          }
        }
        outcomes.append(replies)
      }
    }
    // Abort whatever the clients are doing, over and over, until they are done.
    let chaos = kernel.spawn(in: clientSpace, name: "chaos") { _ in
      var round = 0
      while clients.contains(where: { $0.isAlive }) {
        clients[round % clients.count].abortIPC()
        round += 1
        usleep(37)
      }
    }
    for client in clients { client.join() }
    chaos.join()
    // The server still answers.
    let finalReply = Slot<L4Word>()
    kernel.spawn(in: clientSpace) { ctx in
      ctx.mr.load(label: 10, untyped: [1])
      if (try? ctx.call(server.id)) != nil { finalReply.set(ctx.mr[1]) }
    }.join()
    server.stopServing()
    server.join()
    #expect(wrongReplies.values.isEmpty)
    #expect(unexpectedErrors.values.isEmpty)
    #expect(outcomes.values.count == 3)
    #expect(outcomes.values.reduce(0, +) > 0)
    #expect(finalReply.value == 1)
  }
}
