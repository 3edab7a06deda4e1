import CSocketSupport
import Dispatch
@_spi(Transport) import HurdRPC
import HurdRPCSocket
import HurdRPCSocketTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite("Socket transport capabilities")
struct SocketCapabilityTests {
  @Test func aCapabilityMadeHereIsUsedByAnotherProcess() throws {
    // S serves an object in this process, reachable only through ports (no path). T, another
    // process, gets a send right to it in a message and calls it: 20 + 22 through the fd.
    let space = SocketCapabilitySpace.process
    let objectServer = try LocalServer(path: nil)
    defer { objectServer.finish() }
    let object = space.insertReceiveRight(for: objectServer.transport, badge: 7)
    defer { space.deallocate(object) }
    let helper = try HelperProcess("serve", path: socketPath("third"))
    defer { helper.finish() }
    var request = try Message(label: SocketEchoService.items, words: [20, 22])
    try request.append(.capability(CapabilityItem(object, disposition: .makeSend)))
    let reply = try RPCClient(transport: helper.client).call(request)
    #expect(try reply.word(at: 1) == 42)
    // T dropped its right and its client: the port and the connection it dialed are closed.
    #expect(waitUntil { objectServer.transport.connectionCount == 0 })
  }

  /// As GNU MIG's server loop (and the L4 transport): a request whose handler returned an error
  /// did not consume the rights it carried, so the server releases them.
  @Test func aFailedRequestReleasesTheRightsItCarried() throws {
    let space = SocketCapabilitySpace.process
    let objectServer = try LocalServer(path: nil)
    defer { objectServer.finish() }
    let object = space.insertReceiveRight(for: objectServer.transport, badge: 7)
    defer { space.deallocate(object) }
    let helper = try HelperProcess("serve", path: socketPath("failing"))
    defer { helper.finish() }
    for _ in 0..<3 {
      var request = try Message(label: SocketEchoService.fail, words: [UInt64(ReturnCode.kernInvalidArgument.rawValue)])
      try request.append(.capability(CapabilityItem(object, disposition: .makeSend)))
      let failed = rpcError { () throws(RPCError) in _ = try RPCClient(transport: helper.client).call(request) }
      #expect(failed?.code.returnCode == .kernInvalidArgument)
    }
    // Each send right the helper received was released: no connection to the object is left.
    #expect(waitUntil { objectServer.transport.connectionCount == 0 })
  }

  @Test func aCapabilityFromAnotherProcessBecomesADeadNameWhenItDies() throws {
    let space = SocketCapabilitySpace.process
    let helper = try HelperProcess("serve", path: socketPath("maker"))
    let reply = try RPCClient(transport: helper.client).call(try Message(label: SocketEchoService.makeCapability, words: [5]))
    let name = try #require(reply.capabilities.first).name
    #expect(!space.isDead(name))
    let object = RPCClient(transport: try space.client(for: name))
    #expect(try object.call(try Message(label: SocketEchoService.add, words: [1, 2])).word(at: 1) == 3)
    helper.kill(SIGKILL)
    #expect(waitUntil { space.isDead(name) })
    let dead = rpcError { () throws(RPCError) in
      _ = try RPCClient(transport: try space.client(for: name)).call(Message(label: SocketEchoService.add))
    }
    #expect(dead?.code == .nonExistingPartner)
    space.deallocate(name)
  }

  @Test func moveSendGivesTheRightAwayAndCopySendKeepsIt() throws {
    let space = SocketCapabilitySpace.process
    let objectServer = try LocalServer(path: nil)
    defer { objectServer.finish() }
    let helper = try HelperProcess("serve", path: socketPath("mover"))
    defer { helper.finish() }
    let client = RPCClient(transport: helper.client)
    for disposition in [CapabilityDisposition.copySend, .moveSend] {
      let name = space.insertSendRight(descriptor: try objectServer.transport.makePort(badge: 1))
      var request = try Message(label: SocketEchoService.items, words: [1, 1])
      try request.append(.capability(CapabilityItem(name, disposition: disposition)))
      #expect(try client.call(request).word(at: 1) == 2)
      let kept = (try? space.client(for: name)) != nil
      #expect(kept == (disposition == .copySend))
      if kept { space.deallocate(name) }
    }
    var receive = Message(label: SocketEchoService.items)
    let own = space.insertReceiveRight(for: objectServer.transport, badge: 2)
    defer { space.deallocate(own) }
    try receive.append(.capability(CapabilityItem(own, disposition: .moveReceive)))
    let refused = rpcError { () throws(RPCError) in _ = try client.call(receive) }
    #expect(refused?.code == .unsupported)
  }

  @Test func callsThroughAPortCarryItsBadge() throws {
    let space = SocketCapabilitySpace.process
    let objectServer = try LocalServer(path: nil)
    defer { objectServer.finish() }
    let a = space.insertSendRight(descriptor: try objectServer.transport.makePort(badge: 1))
    let b = space.insertSendRight(descriptor: try objectServer.transport.makePort(badge: 2))
    defer {
      space.deallocate(a)
      space.deallocate(b)
    }
    for name in [a, a, b] {
      _ = try RPCClient(transport: try space.client(for: name)).call(Message(label: SocketEchoService.whoAmI))
    }
    let ids = objectServer.service.identities.values
    #expect(ids.count == 3 && ids[0] == ids[1] && ids[0] != ids[2] && ids[0].isSameDomain(as: ids[2]))
  }

  @Test func theBootstrapPathComesFromTheCommandLineOrTheEnvironment() {
    let none: (String) -> String? = { _ in nil }
    #expect(SocketBootstrap.path(arguments: ["x", "--bootstrap", "/a"], environment: none) == "/a")
    #expect(SocketBootstrap.path(arguments: ["x", "--bootstrap=/b"], environment: { _ in "/c" }) == "/b")
    #expect(SocketBootstrap.path(arguments: ["x"], environment: { $0 == SocketBootstrap.environmentVariable ? "/c" : nil }) == "/c")
    #expect(SocketBootstrap.path(arguments: ["x"], environment: none) == nil)
    let missing = rpcError { () throws(RPCError) in _ = try SocketBootstrap.client(arguments: [], environment: none) }
    #expect(missing?.code == .nonExistingPartner)
  }

  @Test func theNameServiceHandsOutFirstCapabilities() throws {
    let space = SocketCapabilitySpace.process
    let path = socketPath("names")
    let names = try SocketServerTransport(path: path)
    let done = DispatchSemaphore(value: 0)
    Thread.detach {
      try? names.serve(RequestDispatcher(SocketNameService()))
      done.signal()
    }
    defer {
      names.shutdown()
      done.wait()
    }
    let objectServer = try LocalServer(path: nil)
    defer { objectServer.finish() }
    let object = space.insertReceiveRight(for: objectServer.transport, badge: 3)
    defer { space.deallocate(object) }
    let bootstrap = try SocketBootstrap.client(arguments: [SocketBootstrap.option, path])
    try SocketNameService.register("echo", CapabilityItem(object, disposition: .makeSend), at: bootstrap)
    let found = try SocketNameService.lookup("echo", at: bootstrap)
    defer { space.deallocate(found) }
    #expect(try RPCClient(transport: try space.client(for: found)).call(try Message(label: SocketEchoService.add, words: [4, 5])).word(at: 1) == 9)
    let unknown = rpcError { () throws(RPCError) in _ = try SocketNameService.lookup("nothing", at: bootstrap) }
    #expect(unknown?.code == .returnCode(.ENOENT))
  }
}
