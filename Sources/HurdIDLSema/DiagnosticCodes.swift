public import HurdIDLSource

// Sema's diagnostic codes (docs/diagnostics.md lists each with an example).
extension DiagnosticCode {
  // MARK: Checked by GNU MIG too

  /// A type name that was never declared.
  public static let unknownType: DiagnosticCode = "unknown-type"
  /// `type X = …` when X exists (GNU: error since 2022-11).
  public static let typeRedefinition: DiagnosticCode = "type-redefinition"
  /// A routine without a request port argument.
  public static let missingRequestPort: DiagnosticCode = "missing-request-port"
  /// A request port that is not a single inline send (or send-once, or polymorphic) port.
  public static let improperRequestPort: DiagnosticCode = "improper-request-port"
  /// A reply port that is not a single inline port.
  public static let improperReplyPort: DiagnosticCode = "improper-reply-port"
  /// A `waittime`/`msgoption`/`msgseqno` argument that is not a word-size integer.
  public static let improperIntegerArgument: DiagnosticCode = "improper-integer-argument"
  /// A `simpleroutine` with `out`/`inout` arguments.
  public static let simpleRoutineOutArgument: DiagnosticCode = "simpleroutine-out-argument"
  /// `inout` on an inline variable-sized array (`array[*:N]`, `array[]`, `c_string[*:N]`).
  public static let inoutVariableArray: DiagnosticCode = "inout-variable-array"
  /// `intran`/`outtran`/`intranpayload` on a variable-sized array.
  public static let translatedVariableArray: DiagnosticCode = "translated-variable-array"
  /// `destructor` on a variable-sized array.
  public static let destroyedVariableArray: DiagnosticCode = "destroyed-variable-array"
  /// Arrays of variable arrays, `^` of a bounded array, `^^T`, arrays of out-of-line types.
  public static let typeTooComplicated: DiagnosticCode = "type-too-complicated"
  /// An inline variable array whose element type is not a named type.
  public static let variableArrayNeedsNamedElement: DiagnosticCode = "variable-array-needs-named-element"
  /// `A|B` with different non-zero sizes.
  public static let ipcSizeMismatch: DiagnosticCode = "ipc-size-mismatch"
  /// The short form of a name without a default size (`UNSTRUCTURED`, `REAL`, `STRING`, numbers, …).
  public static let needsLongForm: DiagnosticCode = "needs-long-form"
  /// A long-form size different from the name's default.
  public static let strangeIPCSize: DiagnosticCode = "strange-ipc-size"
  /// A name or size too large even for `mach_msg_type_long_t`.
  public static let tooBigForLongForm: DiagnosticCode = "too-big-for-long-form"
  /// A second `requestport`/`replyport`/`waittime`/`msgoption`/`msgseqno` argument (the last wins).
  public static let multipleSpecialArguments: DiagnosticCode = "multiple-special-arguments"
  /// `dealloc` on inline data.
  public static let deallocOnInlineData: DiagnosticCode = "dealloc-on-inline-data"
  /// `servercopy` on anything but an `in` indefinite array.
  public static let serverCopyMeaningless: DiagnosticCode = "servercopy-meaningless"
  /// `countinout` on anything but an `out` inline variable array.
  public static let countInOutMeaningless: DiagnosticCode = "countinout-meaningless"
  /// `islong`+`isnotlong`, `dealloc`+`notdealloc`, `dealloc`/`notdealloc` with `dealloc[]`.
  public static let conflictingFlags: DiagnosticCode = "conflicting-flags"
  /// A flag equal to the default, or written twice.
  public static let redundantFlag: DiagnosticCode = "redundant-flag"
  /// `islong` on a type that never needs the long form.
  public static let unneededIsLong: DiagnosticCode = "unneeded-islong"
  /// `isnotlong` on a type that must use the long form.
  public static let tooBigForIsNotLong: DiagnosticCode = "too-big-for-isnotlong"
  /// `flag[]` on a flag other than `dealloc` (the flag is dropped, as by GNU).
  public static let onlyDeallocIsVariable: DiagnosticCode = "only-dealloc-is-variable"
  /// A type of size 0.
  public static let zeroSizeType: DiagnosticCode = "zero-size-type"
  /// A type whose size is not a whole number of bytes.
  public static let sizeNotByteMultiple: DiagnosticCode = "size-not-byte-multiple"
  /// An annotation that changes a C type or function set by an earlier one.
  public static let conflictingCType: DiagnosticCode = "conflicting-c-type"
  /// Server and trans types differ but the direction's translation function is missing.
  public static let missingTranslation: DiagnosticCode = "missing-translation"
  /// A `struct {…}` member whose type is out of line or variable-sized.
  public static let structMemberNotInline: DiagnosticCode = "struct-member-not-inline"
  /// `retcode` and the `error` statement: accepted and ignored.
  public static let noEffect: DiagnosticCode = "no-effect"

  // MARK: Not checked by GNU MIG

  /// GNU's `struct {…}` layout differs from the C compiler's (its `_Static_assert` fails).
  public static let structLayoutDiffersFromC: DiagnosticCode = "struct-layout-differs-from-c"
  /// Two routines with the same name.
  public static let duplicateRoutine: DiagnosticCode = "duplicate-routine"
  /// Two arguments (or an argument and an implicit companion) with the same name.
  public static let duplicateArgument: DiagnosticCode = "duplicate-argument"
  /// A message id beyond 2^32 − 1 (the routine counter or base + index wraps).
  public static let messageIDOverflow: DiagnosticCode = "message-id-overflow"
  /// More message ids than a server's demux table should hold (a slot per id).
  public static let messageIDRangeTooLarge: DiagnosticCode = "message-id-range-too-large"
  /// Two routines with the same request id.
  public static let messageIDCollision: DiagnosticCode = "message-id-collision"
  /// A size expression that goes below zero.
  public static let negativeSize: DiagnosticCode = "negative-size"
  /// A size, count or total bit size that does not fit in 32 bits.
  public static let sizeOverflow: DiagnosticCode = "size-overflow"
  /// Division by zero in a size expression (GNU MIG crashes).
  public static let divisionByZero: DiagnosticCode = "division-by-zero"
  /// `array[0]`, `struct[0]`, `c_string[0]`, `array[*:0]`.
  public static let zeroSizedArray: DiagnosticCode = "zero-sized-array"
  /// A type or routine before the `subsystem` statement (GNU rejects it; accepted here).
  public static let declarationBeforeSubsystem: DiagnosticCode = "declaration-before-subsystem"
  /// A second `subsystem` statement (GNU MIG stops at once).
  public static let duplicateSubsystem: DiagnosticCode = "duplicate-subsystem"
  /// `KernelUser`/`KernelServer` written twice.
  public static let duplicateSubsystemModifier: DiagnosticCode = "duplicate-subsystem-modifier"
  /// No `subsystem` statement in a file that is not a type fragment.
  public static let noSubsystem: DiagnosticCode = "no-subsystem"
}
