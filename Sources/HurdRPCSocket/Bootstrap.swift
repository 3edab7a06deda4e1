@_spi(Transport) import HurdRPC

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// How a process finds its first capability (the analogue of the Hurd's root filesystem port):
/// the path of a bootstrap server's socket, given as `--bootstrap PATH` (or `--bootstrap=PATH`)
/// on the command line or, failing that, in the `HURDRPC_BOOTSTRAP` environment variable. The
/// bootstrap server usually serves a `SocketNameService`, from which the process looks up the
/// capabilities of every other server by name.
public enum SocketBootstrap {
  public static let environmentVariable = "HURDRPC_BOOTSTRAP"
  public static let option = "--bootstrap"

  /// The bootstrap path from `arguments` (the option wins) or the environment, or nil.
  public static func path(
    arguments: [String] = CommandLine.arguments, environment: (String) -> String? = SocketBootstrap.processEnvironment
  ) -> String? {
    for (index, argument) in arguments.enumerated() {
      if argument == option, index + 1 < arguments.count { return arguments[index + 1] }
      if argument.hasPrefix(option + "=") { return String(argument.dropFirst(option.count + 1)) }
    }
    return environment(environmentVariable).flatMap { $0.isEmpty ? nil : $0 }
  }

  /// A client of the bootstrap server; `.nonExistingPartner` if no path is given.
  public static func client(
    arguments: [String] = CommandLine.arguments, environment: (String) -> String? = SocketBootstrap.processEnvironment,
    configuration: SocketTransportConfiguration = .default
  ) throws(RPCError) -> SocketClientTransport {
    guard let path = path(arguments: arguments, environment: environment) else {
      throw RPCError(
        .nonExistingPartner, "no bootstrap server: pass \(option) PATH or set \(environmentVariable)", phase: .send)
    }
    return SocketClientTransport(path: path, configuration: configuration)
  }

  /// Reads this process's environment.
  public static func processEnvironment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
  }
}

/// A name service: servers register a capability under a name, clients look names up and get a
/// send right (a descriptor) of their own. Serve it on the bootstrap path.
///
/// Routines: `register` (string name + one capability, `.makeSend` or `.copySend`/`.moveSend` of a
/// send right) → RetCode; `lookup` (string name) → one `.copySend` capability, or `ENOENT`.
public final class SocketNameService: Demultiplexer, @unchecked Sendable {
  public static let register: UInt64 = 1
  public static let lookup: UInt64 = 2

  private let space: SocketCapabilitySpace
  private let names = Locked<[String: CapabilityName]>([:])

  /// Capabilities registered with it are held in `space` (which the serving transport's
  /// configuration must use).
  public init(space: SocketCapabilitySpace = .process) {
    self.space = space
  }

  public func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    guard let name = request.strings.first.map({ String(decoding: $0.bytes, as: UTF8.self) }), !name.isEmpty else {
      throw RPCError(.badArguments, "a name service request needs a name")
    }
    switch request.label {
    case Self.register:
      guard let capability = request.capabilities.first else { throw RPCError(.badArguments, "nothing to register") }
      let replaced = names.withLock { names in
        defer { names[name] = capability.name }
        return names[name]
      }
      if let replaced { space.deallocate(replaced) }
    case Self.lookup:
      guard let found = names.withLock({ $0[name] }) else { throw RPCError(.returnCode(.ENOENT)) }
      try reply.append(.capability(CapabilityItem(found, disposition: .copySend)))
    default:
      throw RPCError(.badID, "no name-service routine \(request.label)")
    }
  }

  /// Registers `capability` (a name in the caller's space) as `name` at the service `client` reaches.
  public static func register(
    _ name: String, _ capability: CapabilityItem, at client: some ClientTransport
  ) throws(RPCError) {
    var request = Message(label: Self.register)
    try request.append(.string(StringItem(Array(name.utf8))))
    try request.append(.capability(capability))
    _ = try RPCClient(transport: client).call(request)
  }

  /// Looks `name` up at the service `client` reaches: a send right in the caller's space.
  public static func lookup(_ name: String, at client: some ClientTransport) throws(RPCError) -> CapabilityName {
    var request = Message(label: Self.lookup)
    try request.append(.string(StringItem(Array(name.utf8))))
    let reply = try RPCClient(transport: client).call(request)
    guard let capability = reply.capabilities.first else { throw RPCError(.typeError, "lookup reply without a capability") }
    return capability.name
  }
}
