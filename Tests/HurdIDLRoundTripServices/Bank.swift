import Dispatch
@_spi(Transport) import HurdRPC
import HurdRPCSocketTestSupport

/// objects.defs' server: every caller (L4 address space, or socket port badge) has an account,
/// the target object its requests are addressed to, found from the unforgeable caller identity.
package final class Bank: ObjectsServer, RecordsEvents, @unchecked Sendable {
  package final class Account: @unchecked Sendable {
    package let number: Int32
    // Changed only under the bank's lock.
    package var balance: Int32 = 0
    package init(number: Int32) { self.number = number }
  }

  /// What the `account_t` intran gives the handler: the account, opened for this request.
  package struct OpenAccount: Sendable {
    package let account: Account
  }

  package let events = SharedLog<String>()
  // The state below is accessed only under `lock`.
  private let lock = PThreadMutex()
  private var accounts: [CallerIdentity: Account] = [:]
  /// A caller whose requests are refused before any handler runs.
  private var bannedCaller: CallerIdentity?
  private var latestCaller: CallerIdentity?

  package init() {}

  /// Refuses the latest caller's requests from now on.
  package func banLatestCaller() { lock.withLock { bannedCaller = latestCaller } }

  package func target(for context: CallContext) throws(ReturnCode) -> Account {
    let banned = lock.withLock {
      latestCaller = context.caller
      return context.caller == bannedCaller
    }
    if banned { throw .EPERM }
    return lock.withLock {
      if let account = accounts[context.caller] { return account }
      let account = Account(number: Int32(accounts.count + 1))
      accounts[context.caller] = account
      return account
    }
  }

  package func openAccount(_ value: Account, context: CallContext) throws(ReturnCode) -> OpenAccount {
    events.append("open \(value.number)")
    return OpenAccount(account: value)
  }

  package func closeAccount(_ value: OpenAccount) { events.append("close \(value.account.number)") }

  package func deposit(_ target: OpenAccount, amount: Int32, context: CallContext) throws(ReturnCode) -> Int32 {
    events.append("deposit \(amount) to \(target.account.number)")
    guard amount > 0 else { throw .EINVAL }
    return lock.withLock {
      target.account.balance += amount
      return target.account.balance
    }
  }

  package func whoami(_ target: Account, seqno: Int32, context: CallContext) throws(ReturnCode) -> Objects.WhoamiReply {
    Objects.WhoamiReply(owner: target.number, number: seqno)
  }

  /// Waits `milliseconds`, or less if the caller cancels (or, across processes, hangs up).
  package func pause(_ target: Account, milliseconds: Int32, context: CallContext) throws(ReturnCode) {
    events.append("pause \(milliseconds)")
    let cancelled = DispatchSemaphore(value: 0)
    let registration = context.onCancel { cancelled.signal() }
    _ = registration
    if cancelled.wait(timeout: .now() + .milliseconds(Int(milliseconds))) == .success {
      events.append("pause cancelled")
    }
  }

  package func twice(_ target: Account, value: Int32, context: CallContext) throws(ReturnCode) -> Int32 { value &* 2 }

  package func copyBack(_ target: Account, data: [UInt8], context: CallContext) throws(ReturnCode) -> [UInt8] {
    events.append("copy \(data.count) for \(target.number)")
    return data.reversed()
  }

  package func ownerOf(_ target: Account, context: CallContext) throws(ReturnCode) -> Int32 { target.number }
}
