public import HurdIDLSema

/// The Mach planner: checked interface → per routine the request and reply exactly as GNU MIG 1.8
/// (x86_64) lays them out, in user mode and in `KernelUser`/`KernelServer` mode. Pure and total:
/// every checked interface gets a plan.
public enum MachPlanner {
  /// The plan of every routine, in declaration order; `nil` for a type fragment (a file without
  /// `subsystem`, meant to be included), which has no messages.
  public static func plan(_ interface: CheckedInterface) -> MachInterfacePlan? {
    guard let input = layoutInput(interface) else { return nil }
    return MachLayout.plan(input)
  }

  /// The facts the layout reads, taken from sema's GNU-shaped model: the message items are the
  /// arguments GNU marks `akbRequest`/`akbReply` (RetCode and CountInOut counts included), with the
  /// argument's own long form and deallocation over the type's.
  static func layoutInput(_ interface: CheckedInterface) -> MachInterfaceInput? {
    guard let subsystem = interface.subsystem else { return nil }
    return MachInterfaceInput(
      subsystem: subsystem.name, base: subsystem.base, kernelUser: subsystem.isKernelUser,
      kernelServer: subsystem.isKernelServer,
      routines: interface.routines.map { routine in
        MachRoutineInput(
          name: routine.name, kind: routine.kind == .routine ? .routine : .simpleroutine,
          index: routine.index, requestItems: routine.requestItems.map { item($0, in: routine) },
          replyItems: routine.isOneWay ? [] : routine.replyItems.map { item($0, in: routine) },
          requestPortInName: inName(of: routine.requestPort, in: routine),
          replyPortInName: inName(of: routine.userReplyPort, in: routine))
      })
  }

  private static func inName(of index: Int, in routine: CheckedRoutine) -> UInt32 {
    routine.arguments.indices.contains(index) ? routine.arguments[index].type.inName.value : 0
  }

  private static func item(_ argument: CheckedArgument, in routine: CheckedRoutine) -> MachItemInput {
    let type = argument.type
    let role: MachItemRole =
      switch argument.kind {
      case .retCode: .returnCode
      case .countInOut: .countInOut
      default: .argument
      }
    let deallocation: MachDeallocation =
      switch argument.deallocate {
      case .no: .never
      case .yes: .always
      case .maybe: .runtime
      }
    return MachItemInput(
      name: argument.name, role: role, inName: type.inName.value, outName: type.outName.value,
      sizeBits: type.sizeInBits, number: type.number, isInline: type.isInline, isVariable: type.isVariable,
      isIndefinite: type.isIndefinite, isLongForm: argument.isLongForm, deallocation: deallocation,
      countMultiplier: argument.companions.count.flatMap { index in
        routine.arguments.indices.contains(index) ? routine.arguments[index].multiplier : nil
      },
      isString: type.isString)
  }
}
