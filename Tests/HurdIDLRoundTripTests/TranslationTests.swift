import Dispatch
import Foundation
@_spi(Transport) import HurdRPC
import HurdIDLRoundTripServices
import HurdRPCL4
import HurdRPCSocket
import HurdRPCSocketTestSupport
import Testing

/// A generated translations.defs client of a server placed as the test says.
func translations(_ placement: Placement) throws -> (TranslationsClient<AnyTransport>, Served) {
  let served = try placement.serve(.translations)
  return (TranslationsClient(transport: served.transport), served)
}

@Suite("Server-side translations (intran, outtran, destructor)")
struct TranslationTests {
  @Test(arguments: Placement.allCases)
  func intranThenHandlerThenDestructorOnSuccess(_ placement: Placement) throws {
    let (client, served) = try translations(placement)
    defer { served.finish() }
    #expect(try client.redeem(ticket: 5) == 50)
    #expect(try served.events() == ["lookup 5", "redeem 5", "release 5"])
  }

  @Test(arguments: Placement.allCases)
  func destructorRunsWhenTheHandlerThrows(_ placement: Placement) throws {
    let (client, served) = try translations(placement)
    defer { served.finish() }
    let error = caught { () throws(RPCError) in try client.redeem(ticket: 0) }
    #expect(error?.code == .returnCode(ReturnCode(2_001)))
    #expect(try served.events() == ["lookup 0", "redeem 0", "release 0"])
  }

  @Test(arguments: Placement.allCases)
  func failingIntranAnswersItsCodeAndNoHandlerRuns(_ placement: Placement) throws {
    let (client, served) = try translations(placement)
    defer { served.finish() }
    let error = caught { () throws(RPCError) in try client.redeem(ticket: -3) }
    #expect(error?.code == .returnCode(.EINVAL))
    #expect(try served.events() == ["refuse -3"])
  }

  @Test(arguments: Placement.allCases)
  func destructorsRunInReverseOrderAndOnlyForTranslatedValues(_ placement: Placement) throws {
    let (client, served) = try translations(placement)
    defer { served.finish() }
    #expect(try client.exchange(first: 2, second: 3) == 5)
    #expect(try served.events() == ["lookup 2", "lookup 3", "exchange 2 3", "release 3", "release 2"])
    // The second intran fails: the first value is still released, no handler runs.
    let error = caught { () throws(RPCError) in try client.exchange(first: 4, second: -1) }
    #expect(error?.code == .returnCode(.EINVAL))
    #expect(try served.events() == ["lookup 4", "refuse -1", "release 4"])
  }

  @Test(arguments: Placement.allCases)
  func inoutIsTranslatedBothWaysWithoutDestructor(_ placement: Placement) throws {
    let (client, served) = try translations(placement)
    defer { served.finish() }
    #expect(try client.renew(ticket: 8) == 9)
    #expect(try served.events() == ["lookup 8", "renew 8", "number 9"])
  }

  @Test(arguments: Placement.allCases)
  func outtranTurnsServerValuesIntoWireValues(_ placement: Placement) async throws {
    let (client, served) = try translations(placement)
    defer { served.finish() }
    let reply = try await client.issue(value: Int32.max)
    #expect(reply.ticket == Int32.max && reply.serial == 77)
    #expect(try served.events() == ["issue \(Int32.max)", "number \(Int32.max)"])
  }

  /// An `sreplyport` handler answers at once as any other (its results through their outtran);
  /// without a capability bucket its reply port cannot defer: `EOPNOTSUPP`.
  @Test(arguments: Placement.allCases)
  func aReplyPortWithoutABucketAnswersAtOnceAndCannotDefer(_ placement: Placement) throws {
    let (client, served) = try translations(placement)
    defer { served.finish() }
    let reply = try client.issueLater(value: 4)
    #expect(reply.ticket == 4 && reply.serial == 78)
    #expect(try served.events() == ["issueLater 4 cannot defer", "number 4"])
    let error = caught { () throws(RPCError) in try client.issueLater(value: -1) }
    #expect(error?.code == .returnCode(.EOPNOTSUPP))
    #expect(try served.events() == ["issueLater -1 cannot defer"])
  }

  @Test(arguments: Placement.allCases)
  func oneWayRequestsDestroyTheirValuesToo(_ placement: Placement) throws {
    let (client, served) = try translations(placement)
    defer { served.finish() }
    try client.discard(ticket: 12)
    #expect(try served.events(reaching: 3) == ["lookup 12", "discard 12", "release 12"])
  }

  @Test func capabilitiesBecomeServerObjects() throws {
    // The L4 transport carries capabilities only with HurdCap: the loopback transport does.
    let office = TicketOffice()
    let client = TranslationsClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(TranslationsDemux(office))))
    #expect(try client.holderID(holder: CapabilityName(rawValue: 41)) == 41)
    #expect(office.events.values == ["holder 41", "id 41", "drop 41"])
  }

  /// Across processes the capability is a descriptor: the intran gets the server's own name for it.
  @Test(arguments: Placement.sockets)
  func capabilitiesFromAnotherProcessBecomeServerObjects(_ placement: Placement) throws {
    let (client, served) = try translations(placement)
    defer { served.finish() }
    let holder = try ServiceControl.makeObject(badge: 3, at: served.transport)
    defer { SocketCapabilitySpace.process.deallocate(holder) }
    let id = try client.holderID(holder: holder)
    #expect(id > 0)
    #expect(try served.events() == ["holder \(id)", "id \(id)", "drop \(id)"])
  }
}
