// What the Mach layout arithmetic reads: per message item, the facts GNU MIG keeps for a type
// (its `ipc_type_t`) after the argument's own flags were applied. The adapter from the checked
// interface (MachPlanner+Sema.swift) fills these in; the arithmetic itself never looks at syntax.

/// Mach type-name numbers (gnumach `mach/message.h`) the layout rules test for.
enum MachTypeName {
  /// `MACH_MSG_TYPE_POLYMORPHIC`, `(unsigned) -1`: the sender supplies the name at run time.
  static let polymorphic: UInt32 = 0xFFFF_FFFF
  /// `MACH_MSG_TYPE_PORT_ANY`: the port-right names, from `MOVE_RECEIVE` (16) to `MAKE_SEND_ONCE` (21).
  static let portRights: ClosedRange<UInt32> = 16...21

  static func isPortRight(_ name: UInt32) -> Bool { portRights.contains(name) }
}

/// `d_NO`, `d_YES`, `d_MAYBE` (`dealloc[]`: the sender decides per call).
enum MachDeallocation: Sendable, Hashable {
  case never, always, runtime
}

/// One item of a request or reply as the layout needs it.
struct MachItemInput: Sendable, Hashable {
  var name: String
  var role: MachItemRole
  /// Name the sender writes into `msgt_name` normally, and the one receivers check (and
  /// KernelServer replies send).
  var inName: UInt32
  var outName: UInt32
  /// Element size in bits and element count (`itSize`, `itNumber`): for variable arrays the
  /// maximum, for `array[]` ⌊2048 / element bytes⌋ elements, for `^` types 0 (GNU's quirk).
  var sizeBits: UInt32
  var number: UInt32
  var isInline: Bool
  /// `array[*:N]`, `array[]`, `^array[]`, `c_string[*:N]`: the count travels in the descriptor.
  var isVariable: Bool
  /// `array[]`: inline up to 2048 bytes, out of line above, decided while sending.
  var isIndefinite: Bool
  /// The argument's descriptor form after `IsLong`/`IsNotLong`.
  var isLongForm: Bool
  var deallocation: MachDeallocation
  /// Variable arrays: `msgt_number` = the C count × this (the base type's element count).
  var countMultiplier: UInt32?
  /// `c_string`: a variable one has no Count argument, its count is `strlen + 1`.
  var isString: Bool
}

/// One routine as the layout needs it.
struct MachRoutineInput: Sendable, Hashable {
  var name: String
  var kind: MachRoutineKind
  var index: UInt32
  /// `in`/`inout` arguments and CountInOut counts, in argument order.
  var requestItems: [MachItemInput]
  /// The return code, then `out`/`inout` arguments in argument order; ignored for simpleroutines.
  var replyItems: [MachItemInput]
  /// The in-names of the request port and the user's reply port (0 when none is sent).
  var requestPortInName: UInt32
  var replyPortInName: UInt32
}

/// One interface as the layout needs it.
struct MachInterfaceInput: Sendable, Hashable {
  var subsystem: String
  var base: UInt32
  var kernelUser: Bool
  var kernelServer: Bool
  var routines: [MachRoutineInput]
}
