/// The reply convention shared by generated code and transports (MIG's, in native layout):
/// a reply's label is the request's label + 100 and its first untyped word is the RetCode
/// (`Int32` bit pattern, zero-extended). Out values follow from word 1 on.
extension Message {
  /// Distance between a request id and its reply id.
  public static let replyLabelOffset: UInt64 = 100

  /// A reply to a request with `requestLabel`, holding only its RetCode.
  @inlinable
  public static func reply(to requestLabel: UInt64, returnCode: ReturnCode = .success) -> Message {
    var reply = Message(label: requestLabel &+ replyLabelOffset)
    // Cannot fail: an empty message has 63 free registers.
    try? reply.append(UInt64(UInt32(bitPattern: returnCode.rawValue)))
    return reply
  }

  /// Makes this message an empty reply to `requestLabel` carrying `returnCode`, without touching
  /// the rest of the register storage (cheap on a reused buffer).
  @inlinable
  public mutating func resetAsReply(to requestLabel: UInt64, returnCode: ReturnCode) {
    reset(label: requestLabel &+ Self.replyLabelOffset)
    try? append(UInt64(UInt32(bitPattern: returnCode.rawValue)))
  }

  /// Sets a reply's RetCode (word 0); does nothing on a message without words.
  @inlinable
  public mutating func setReplyReturnCode(_ returnCode: ReturnCode) {
    guard wordCount > 0 else { return }
    self[0] = UInt64(UInt32(bitPattern: returnCode.rawValue))
  }

  /// The RetCode of a reply (word 0), or nil when the message has no words.
  @inlinable
  public var replyReturnCode: ReturnCode? {
    guard wordCount > 0 else { return nil }
    return ReturnCode(Int32(bitPattern: UInt32(truncatingIfNeeded: self[0])))
  }

  /// Client-side check of a reply to a request with `requestLabel`: the label must be the
  /// request's + 100 (`.replyMismatch`), word 0 must exist (`.typeError`), and a non-zero
  /// RetCode is rethrown as the server's error (MIG codes become their protocol codes).
  @inlinable
  public func checkReply(toRequest requestLabel: UInt64) throws(RPCError) {
    try Self.checkReply(label: label, returnCodeWord: wordCount > 0 ? self[0] : nil, toRequest: requestLabel)
  }

  /// `checkReply` on a reply held `inout` (`RPCClient`): reads word 0 in place, where reading it
  /// from a borrowed message copies the whole message first.
  @inlinable
  mutating func checkReplyInPlace(toRequest requestLabel: UInt64) throws(RPCError) {
    let returnCodeWord = withUnsafeWordsInPlace { $0.first }
    try Self.checkReply(label: label, returnCodeWord: returnCodeWord, toRequest: requestLabel)
  }

  @usableFromInline
  static func checkReply(label: UInt64, returnCodeWord: UInt64?, toRequest requestLabel: UInt64) throws(RPCError) {
    guard label == requestLabel &+ replyLabelOffset else {
      throw RPCError(.replyMismatch, "reply id \(label) for request \(requestLabel)")
    }
    guard let returnCodeWord else {
      throw RPCError(.typeError, "reply \(label) has no RetCode word")
    }
    let returnCode = ReturnCode(Int32(bitPattern: UInt32(truncatingIfNeeded: returnCodeWord)))
    guard returnCode.isSuccess else { throw RPCError(returnCode: returnCode) }
  }
}
