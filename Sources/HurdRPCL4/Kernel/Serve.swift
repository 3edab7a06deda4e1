/// What a server handler asks the serve loop to do after a request.
public enum L4ServeAction: Sendable, Hashable {
  /// Send the reply loaded in the server's message registers, then wait for the next request.
  case reply
  /// Send nothing (the caller stays blocked until someone replies or its timeout expires).
  case noReply
  /// Send nothing and leave the serve loop.
  case stop
}

/// One received request, as a server handler sees it. `registers` are the server thread's
/// message registers: read the request from them and load the reply into them.
///
/// A request is valid only while its handler runs (its `registers` are the server's): `server`
/// and `kernel` are therefore not reference-counted (both outlive the handler; this saves two
/// retain/release pairs per request).
public struct L4Request {
  /// The serving thread.
  public unowned(unsafe) let server: L4Thread
  /// Who sent the request (the virtual sender for a propagated request).
  public let sender: L4ThreadID
  /// The request tag, with the propagated/redirected flags as received.
  public let tag: L4MessageTag
  public let registers: L4MessageRegisters
  unowned(unsafe) let kernel: L4Kernel
  let client: L4Thread?
  /// The caller's status taken under the kernel lock when the request was delivered (saves a
  /// kernel entry per request).
  let statusAtDelivery: (waiting: Bool, annotation: (any AnyObject & Sendable)?)?

  init(
    server: L4Thread, sender: L4ThreadID, tag: L4MessageTag, registers: L4MessageRegisters, kernel: L4Kernel,
    client: L4Thread?, statusAtDelivery: (waiting: Bool, annotation: (any AnyObject & Sendable)?)? = nil
  ) {
    self.server = server
    self.sender = sender
    self.tag = tag
    self.registers = registers
    self.kernel = kernel
    self.client = client
    self.statusAtDelivery = statusAtDelivery
  }

  /// The request `thread` has just received (`received` is what its `wait`/`replyWait` returned).
  init(received: L4IPCResult, by thread: L4Thread) {
    self.init(
      server: thread, sender: received.from, tag: received.tag, registers: L4MessageRegisters(base: thread.mr),
      kernel: thread.kernel, client: thread.deliveredSender,
      statusAtDelivery: (thread.deliveredSenderWaits, thread.deliveredAnnotation))
  }

  /// Whether the caller is still blocked waiting for this server's reply: `false` once it
  /// was aborted (cancelled), timed out or died. Lets a long handler stop early.
  public var isCallerWaiting: Bool {
    guard let client else { return false }
    return kernel.isAwaitingReply(client, from: server)
  }

  /// The address space of the calling thread (`nil` if it no longer exists).
  public var senderSpace: L4AddressSpace? { client?.space }

  /// Whether the caller waited for the reply when the request was delivered, plus what it
  /// attached to its call (no kernel entry for requests from `wait`/`replyWait` or direct dispatch).
  var callerStatus: (waiting: Bool, annotation: (any AnyObject & Sendable)?) {
    if let statusAtDelivery { return statusAtDelivery }
    guard let client else { return (false, nil) }
    return kernel.callerStatus(client, server: server)
  }
}

/// A server's request handler. With direct dispatch it may run on a client's OS thread, hence
/// `@Sendable`; it must not perform IPC as the server thread (it has no context for that).
public typealias L4RequestHandler = @Sendable (_ request: L4Request) -> L4ServeAction

extension L4Thread {
  /// Makes this thread's `serve` loop return (cancels its open wait, or takes effect after the
  /// request it is handling).
  public func stopServing() { kernel.requestStop(self) }
}

/// Whether a serve loop lets callers run its handler on their own thread.
public enum L4DispatchMode: Sendable, Hashable {
  /// Every request is handed to the server's OS thread (spin-then-park hand-off).
  case threaded
  /// When the server idles in open wait and a register-only `call` arrives, the calling thread
  /// runs the handler itself ("migrating thread", LRPC); otherwise as `threaded`.
  case direct
}
