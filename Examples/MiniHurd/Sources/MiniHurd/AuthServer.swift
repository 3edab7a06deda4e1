// The auth server: identities are its objects; an auth handle is a capability to one.
import HurdCap
import HurdRPC

/// An identity the auth server vouches for.
final class Identity: CapObject, @unchecked Sendable {
  /// The uid of an auth handle that stands for nobody (what a new process starts with).
  static let nobody: Int32 = -1

  let uid: Int32
  init(uid: Int32) { self.uid = uid }
}

/// The accounts the auth server knows (the Hurd's password server checks /etc/shadow).
private let accounts: [String: (password: String, uid: Int32)] = ["alice": ("wonderland", 1000)]

struct AuthService<Host: ServerHost>: AuthServer {
  let server: Host

  func authGetids(_ handle: Identity, context: CallContext) throws(ReturnCode) -> Int32 { handle.uid }

  func authLogin(_ handle: Identity, user: String, password: String, context: CallContext) throws(ReturnCode)
    -> CapabilityName
  {
    guard let account = accounts[user], account.password == password else { throw .EACCES }
    return try server.publish(Identity(uid: account.uid), in: handle.objectClass!)
  }
}
