// What a server's handlers need from the task they run in. The services (AuthService,
// FileIOService, …) are written once against it; the L4 task (`ServerTask`) and the server
// process (`SocketServerTask`) provide it, so the same handlers, classes and generated code run
// on either transport.
import HurdCap
import HurdRPC

protocol ServerHost: Sendable {
  /// The client transport a capability this task holds is called through.
  associatedtype Transport: ClientTransport

  /// A generated client (`AuthClient.init(transport:)`, …) for calls on `name`, a capability in
  /// this task's space.
  func client<Client>(for name: CapabilityName, _ makeClient: (Transport) -> Client) throws(RPCError) -> Client

  /// Drops `name` from this task's space.
  func deallocate(_ name: CapabilityName)

  /// Serves `object` in `objectClass` and names its receive right in this task's space: what a
  /// handler returns for a `mach_port_make_send_t` result (the caller gets a send right).
  func publish(_ object: CapObject, in objectClass: CapClass) throws(ReturnCode) -> CapabilityName
}
