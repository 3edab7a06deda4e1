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
/// A request is valid only while its handler runs (its `registers` are the server's): none of
/// its references is counted. All outlive the handler: the server and the kernel; the client,
/// which runs the handler itself (direct dispatch) or is held by the server's `deliveredSender`
/// until its next receive; the call annotation, held by the client's `callAnnotation` or the
/// server's `deliveredAnnotation` likewise. That makes the request plain data, so building and
/// dropping one per call costs no retain or release.
public struct L4Request {
  /// The serving thread.
  public unowned(unsafe) let server: L4Thread
  /// Who sent the request (the virtual sender for a propagated request).
  public let sender: L4ThreadID
  /// The request tag, with the propagated/redirected flags as received.
  public let tag: L4MessageTag
  public let registers: L4MessageRegisters
  unowned(unsafe) let kernel: L4Kernel
  unowned(unsafe) let client: L4Thread?
  /// The caller's status taken under the kernel lock when the request was delivered (saves a
  /// kernel entry per request); `statusKnown` is false when it was not taken.
  private let statusKnown: Bool
  private let waitingAtDelivery: Bool
  private unowned(unsafe) let annotationAtDelivery: (any AnyObject & Sendable)?

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
    statusKnown = statusAtDelivery != nil
    waitingAtDelivery = statusAtDelivery?.waiting ?? false
    annotationAtDelivery = statusAtDelivery?.annotation
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
    if statusKnown { return (waitingAtDelivery, annotationAtDelivery) }
    guard let client else { return (false, nil) }
    return kernel.callerStatus(client, server: server)
  }
}

/// A server's request handler. With direct dispatch it may run on a client's OS thread, hence
/// `@Sendable`; it must not perform IPC as the server thread (it has no context for that).
public typealias L4RequestHandler = @Sendable (_ request: L4Request) -> L4ServeAction

/// The handler of a `serve(.direct)` loop, boxed so the lock-free direct call can borrow it
/// through an `Unmanaged` reference (a closure cannot be borrowed from a class's storage
/// without retaining its context).
final class ServeHandler {
  let run: L4RequestHandler
  init(_ run: @escaping L4RequestHandler) { self.run = run }
}

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
