import HurdIDLEmitter
import HurdIDLPlanner
import HurdIDLSema
import HurdIDLSource

/// The checked interface of `roundtrip.defs` (next to this file), written out as Sema's model
/// because Sema's checker has not landed on this branch yet. Each routine's line is the line of
/// the `.defs`, so doc comments point at the right place. Replace with `Sema.check` once it exists.
enum RoundTripFixture {
  static let sourcePath = "roundtrip.defs"

  static func range(_ line: Int32) -> SourceRange {
    SourceRange(SourceLocation(buffer: BufferID(rawValue: 0), line: line, column: 1))
  }

  static func typeName(_ value: UInt32, _ spelling: String) -> MessageTypeName {
    MessageTypeName(value: value, spelling: spelling)
  }

  static let integer32 = typeName(2, "MACH_MSG_TYPE_INTEGER_32")
  static let integer64 = typeName(11, "MACH_MSG_TYPE_INTEGER_64")
  static let boolean = typeName(0, "MACH_MSG_TYPE_BOOLEAN")
  static let character = typeName(8, "MACH_MSG_TYPE_CHAR")

  static func type(
    _ name: String?, _ ipc: MessageTypeName, bits: UInt32, number: UInt32 = 1, copy: CopySemantics = .assignment,
    variable: Bool = false, element: ResolvedType? = nil
  ) -> ResolvedType {
    let bytes = (bits * number + 7) / 8
    return ResolvedType(
      name: name, origin: name == nil ? .anonymous : .declaration, range: nil, inName: ipc, outName: ipc,
      sizeInBits: bits, number: number, isInline: true, isLongForm: false, longFormUse: .notLong, deallocate: .no,
      flags: [], copySemantics: copy, isVariable: variable, isIndefinite: false, typeSizeInBytes: bytes,
      padSizeInBytes: (4 - bytes % 4) % 4, minimumTypeSizeInBytes: variable ? 0 : bytes,
      element: element.map(Indirect.init), cUserType: name, cServerType: name, cTransType: name, inTran: nil,
      inTranPayload: nil, outTran: nil, destructor: nil, structLayout: nil)
  }

  static let int = type("int", integer32, bits: 32)
  static let int64 = type("int64_t", integer64, bits: 64)
  static let bool = type("boolean_t", boolean, bits: 32)
  static let port = type("mach_port_t", typeName(19, "MACH_MSG_TYPE_COPY_SEND"), bits: 32)
  static let quad = type("quad_t", integer32, bits: 32, number: 4, copy: .array, element: int)
  static let intList = type("int_list_t", integer32, bits: 32, number: 16, copy: .array, variable: true, element: int)
  static let name = type("name_t", character, bits: 8, number: 64, copy: .string, variable: true)
  static let text = type("text_t", character, bits: 8, number: 128, copy: .string, variable: true)

  static func argument(_ name: String, _ kind: ArgumentKind, _ type: ResolvedType, origin: ArgumentOrigin = .written)
    -> CheckedArgument
  {
    let request = [.in, .inout, .requestPort].contains(kind)
    let reply = [.out, .inout, .retCode].contains(kind)
    var traits: ArgumentTraits = []
    if request { traits.insert(.request) }
    if reply { traits.insert(.reply) }
    return CheckedArgument(
      name: name, kind: kind, origin: origin, range: nil, type: type, traits: traits, flags: [], deallocate: .no,
      isLongForm: false, isServerCopy: false, isCountInOut: false, parent: nil, companions: Companions(), multiplier: 1,
      value: nil, requestPosition: nil, replyPosition: nil, isByReferenceUser: false, isByReferenceServer: false)
  }

  static func routine(
    _ name: String, line: Int32, index: UInt32, oneWay: Bool = false, waitTime: String? = nil,
    _ written: [CheckedArgument]
  ) -> CheckedRoutine {
    let arguments =
      [argument("RetCode", .retCode, int, origin: .implicit), argument("server", .requestPort, port)] + written
    return CheckedRoutine(
      kind: oneWay ? .simpleRoutine : .routine, name: name, range: range(line), index: index,
      requestID: 5000 + index, replyID: oneWay ? nil : 5100 + index, userPrefix: "", serverPrefix: "",
      userName: name, serverName: name, waitTime: waitTime, msgOption: nil, arguments: arguments, requestPort: 1,
      userReplyPort: 1, serverReplyPort: 1, retCode: 0, msgOptionArgument: 0, waitTimeArgument: nil,
      msgSeqNoArgument: nil, hasNoReplyArguments: !written.contains { $0.kind != .in })
  }

  static let interface = CheckedInterface(
    subsystem: Subsystem(
      name: "roundtrip", base: 5000, isKernelUser: false, isKernelServer: false, serverDemux: "roundtrip_server",
      hasExplicitServerDemux: false, range: range(3)),
    isTypeFragment: false, portSizeInBits: 32, types: [int, int64, bool, port, quad, intList, name, text],
    routines: [
      routine("add", line: 13, index: 0, [argument("a", .in, int), argument("b", .in, int), argument("sum", .out, int)]),
      routine("sum_quad", line: 16, index: 1, [argument("values", .in, quad), argument("total", .out, int64)]),
      routine(
        "reverse_list", line: 19, index: 2,
        [argument("list", .in, intList), argument("reversed", .out, intList)]),
      routine("greet", line: 22, index: 3, waitTime: "500", [argument("name", .in, name), argument("greeting", .out, text)]),
      routine("bump", line: 26, index: 4, [argument("counter", .inout, int), argument("twice", .in, bool)]),
      routine("poke", line: 29, index: 5, oneWay: true, [argument("value", .in, int)]),
      routine("fail_with", line: 35, index: 7, [argument("code", .in, int)]),
      routine(
        "divide", line: 38, index: 8,
        [argument("dividend", .in, int), argument("divisor", .in, int), argument("quotient", .out, int),
         argument("exact", .out, bool)]),
    ],
    messageIDCount: 9, imports: [], rcsID: nil)

  static func generate(options: EmitterOptions? = nil) -> GeneratedFile {
    SwiftEmitter.generate(
      interface: interface, plan: L4Planner.plan(interface),
      options: options ?? EmitterOptions(accessLevel: .internal, sourcePath: sourcePath))
  }
}
