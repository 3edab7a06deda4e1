import HurdIDLSyntax

/// What one side of an IPC type (`NAME`, a number, `polymorphic`) means: the names GNU's lexer
/// gives it and its default size (reference §4.4). Port sizes are filled in by the caller.
struct PrimitiveIPCName {
  var inName: MessageTypeName
  var outName: MessageTypeName
  /// Default size in bits; `nil` means "the port size of the run"; 0 means "needs the long form".
  var defaultSize: UInt32?

  static let polymorphic = PrimitiveIPCName(inName: .polymorphic, outName: .polymorphic, defaultSize: nil)

  static func number(_ value: UInt32) -> PrimitiveIPCName {
    let name = MessageTypeName(value: value, spelling: String(value))
    return PrimitiveIPCName(inName: name, outName: name, defaultSize: 0)
  }

  static func named(_ token: MsgTypeName) -> PrimitiveIPCName {
    func same(_ value: UInt32, _ size: UInt32?) -> PrimitiveIPCName {
      let name = MessageTypeName(value: value, spelling: token.rawValue)
      return PrimitiveIPCName(inName: name, outName: name, defaultSize: size)
    }
    func port(_ value: UInt32, receivedAs received: MsgTypeName, _ receivedValue: UInt32) -> PrimitiveIPCName {
      PrimitiveIPCName(
        inName: MessageTypeName(value: value, spelling: token.rawValue),
        outName: MessageTypeName(value: receivedValue, spelling: received.rawValue), defaultSize: nil)
    }
    func checkedPort(_ received: UInt32) -> PrimitiveIPCName {
      PrimitiveIPCName(
        inName: .polymorphic, outName: MessageTypeName(value: received, spelling: token.rawValue), defaultSize: nil)
    }
    switch token {
    case .unstructured: return same(0, 0)
    case .bit: return same(0, 1)
    case .boolean: return same(0, 32)
    case .integer16: return same(1, 16)
    case .integer32: return same(2, 32)
    case .integer64: return same(11, 64)
    case .char: return same(8, 8)
    case .byte, .integer8: return same(9, 8)
    case .real: return same(10, 0)
    case .string, .stringC: return same(12, 0)
    case .portName: return same(15, MachTarget.portNameSizeInBits)
    case .moveReceive: return port(16, receivedAs: .portReceive, 16)
    case .moveSend: return port(17, receivedAs: .portSend, 17)
    case .copySend: return port(19, receivedAs: .portSend, 17)
    case .makeSend: return port(20, receivedAs: .portSend, 17)
    case .moveSendOnce: return port(18, receivedAs: .portSendOnce, 18)
    case .makeSendOnce: return port(21, receivedAs: .portSendOnce, 18)
    case .portReceive: return checkedPort(16)
    case .portSend: return checkedPort(17)
    case .portSendOnce: return checkedPort(18)
    case .polymorphic:
      return PrimitiveIPCName(inName: .polymorphic, outName: .polymorphic, defaultSize: 0)
    }
  }

  init(inName: MessageTypeName, outName: MessageTypeName, defaultSize: UInt32?) {
    self.inName = inName
    self.outName = outName
    self.defaultSize = defaultSize
  }

  init(_ name: IPCName) {
    switch name.kind {
    case .number(let value): self = .number(value)
    case .msgType(let token): self = .named(token)
    case .polymorphic: self = .polymorphic
    }
  }
}

extension MessageTypeName {
  static let integer32 = MessageTypeName(value: 2, spelling: "MACH_MSG_TYPE_INTEGER_32")
  static let boolean = MessageTypeName(value: 0, spelling: "MACH_MSG_TYPE_BOOLEAN")
  static let copySend = MessageTypeName(value: 19, spelling: "MACH_MSG_TYPE_COPY_SEND")
  static let portSend = MessageTypeName(value: 17, spelling: "MACH_MSG_TYPE_PORT_SEND")
  static let makeSendOnce = MessageTypeName(value: 21, spelling: "MACH_MSG_TYPE_MAKE_SEND_ONCE")
  static let portSendOnce = MessageTypeName(value: 18, spelling: "MACH_MSG_TYPE_PORT_SEND_ONCE")
  static let zero = MessageTypeName(value: 0, spelling: "0")
  static let stringC = MessageTypeName(value: 12, spelling: "MACH_MSG_TYPE_STRING_C")
  static let integer16 = MessageTypeName(value: 1, spelling: "MACH_MSG_TYPE_INTEGER_16")
  static let byte = MessageTypeName(value: 9, spelling: "MACH_MSG_TYPE_BYTE")
  static let char = MessageTypeName(value: 8, spelling: "MACH_MSG_TYPE_CHAR")
  static let integer64 = MessageTypeName(value: 11, spelling: "MACH_MSG_TYPE_INTEGER_64")
}
