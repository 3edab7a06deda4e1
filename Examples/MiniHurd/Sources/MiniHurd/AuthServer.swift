// The auth server: identities are its objects; an auth handle is a capability to one.
import HurdCap
import HurdRPC

/// An identity the auth server vouches for.
final class Identity: CapObject, @unchecked Sendable {
  let uid: Int32
  init(uid: Int32) { self.uid = uid }
}

struct AuthService: AuthServer {
  static let nobody: Int32 = -1
  private static let users: [String: (password: String, uid: Int32)] = ["alice": ("wonderland", 1000)]

  let server: ServerTask

  func authGetids(_ handle: Identity, context: CallContext) throws(ReturnCode) -> Int32 { handle.uid }

  func authLogin(_ handle: Identity, user: String, password: String, context: CallContext) throws(ReturnCode)
    -> CapabilityName
  {
    guard let account = Self.users[user], account.password == password else { throw .EACCES }
    return try server.publish(Identity(uid: account.uid), in: handle.objectClass!)
  }
}
