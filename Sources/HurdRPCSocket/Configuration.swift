@_spi(Transport) import HurdRPC

/// Limits and thresholds of the socket transport (client and server).
public struct SocketTransportConfiguration: Sendable {
  /// Strings (and grants of heap memory) up to this many bytes travel inside the datagram;
  /// larger ones go through a sealed memfd. The default is measured (docs/socket-transport.md):
  /// below it, copying through the socket is cheaper than creating and reading a memfd.
  public var copyThreshold: Int
  /// Inline bytes one message may carry in all (bounds the datagram size, and so what a hostile
  /// peer can make a server allocate or read per message).
  public var maxInlineBytes: Int
  /// Idle client connections kept for reuse (a call takes one, or opens one).
  public var maxIdleConnections: Int
  /// Where capability items are resolved (sending) and installed (receiving); nil refuses them.
  public var capabilities: SocketCapabilitySpace?
  /// Whether the server watches a caller's connection while its handler runs, so a caller that
  /// cancels, times out or dies cancels the handler (`CallContext.isCancelled`).
  public var observesCallerHangUp: Bool

  public init(
    copyThreshold: Int = SocketTransportConfiguration.measuredCopyThreshold, maxInlineBytes: Int = 64 * 1024,
    maxIdleConnections: Int = 8, capabilities: SocketCapabilitySpace? = .process, observesCallerHangUp: Bool = true
  ) {
    self.copyThreshold = max(0, copyThreshold)
    self.maxInlineBytes = max(0, min(maxInlineBytes, 128 * 1024))
    self.maxIdleConnections = max(0, maxIdleConnections)
    self.capabilities = capabilities
    self.observesCallerHangUp = observesCallerHangUp
  }

  public static let `default` = SocketTransportConfiguration()

  /// The copy/memfd threshold measured by `SocketBenchmarks` on the project's machine.
  public static let measuredCopyThreshold = 64 * 1024

  /// The largest datagram a message can need: header, 63 words, 31 item descriptors, inline bytes.
  public var maxDatagram: Int {
    Wire.headerSize + 8 * Message.capacity + Wire.descriptorSize * Wire.maxDescriptors + maxInlineBytes
  }

  func encoder() -> WireEncoder {
    WireEncoder(
      inlineThreshold: min(copyThreshold, maxInlineBytes), maxInlineBytes: maxInlineBytes, capabilities: capabilities)
  }

  func decoder() -> WireDecoder { WireDecoder(capabilities: capabilities) }
}
