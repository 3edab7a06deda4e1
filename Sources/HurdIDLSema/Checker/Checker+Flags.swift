import HurdIDLSource
import HurdIDLSyntax

extension Checker {
  // MARK: Flags

  /// `[FlagUse]` → flag set, dropping `retcode` and `flag[]` on non-dealloc flags (GNU's parser).
  mutating func convertFlags(_ uses: [FlagUse], owner: String) -> IPCFlagSet {
    var set = IPCFlagSet()
    for use in uses {
      let flag: IPCFlagSet
      switch use.flag {
      case .retCode:
        diagnostics.warning(.noEffect, "the 'retcode' flag on \(owner) has no effect", at: use.range.start)
        continue
      case .dealloc: flag = use.isVariable ? .maybeDealloc : .dealloc
      case .isLong: flag = .isLong
      case .isNotLong: flag = .isNotLong
      case .notDealloc: flag = .notDealloc
      case .serverCopy: flag = .serverCopy
      case .countInOut: flag = .countInOut
      }
      if use.isVariable && use.flag != .dealloc {
        diagnostics.warning(
          .onlyDeallocIsVariable,
          "'\(use.flag.rawValue)[]' on \(owner): only 'dealloc' can be variable; the flag is ignored (as by GNU MIG)",
          at: use.range.start)
        continue
      }
      if set.contains(flag) {
        diagnostics.warning(.redundantFlag, "'\(flag.names.first ?? "")' is written twice on \(owner)", at: use.range.start)
      }
      set.insert(flag)
    }
    return set
  }

  /// GNU's `itCheckFlags`: cancelling pairs.
  mutating func checkFlags(_ flags: IPCFlagSet, owner: String, at range: SourceRange) -> IPCFlagSet {
    var flags = flags
    if flags.contains([.isLong, .isNotLong]) {
      diagnostics.warning(.conflictingFlags, "'islong' and 'isnotlong' on \(owner) cancel out", at: range.start)
      flags.subtract([.isLong, .isNotLong])
    }
    if flags.contains(.maybeDealloc) && !flags.isDisjoint(with: [.dealloc, .notDealloc]) {
      diagnostics.warning(
        .conflictingFlags, "'dealloc' and 'notdealloc' on \(owner) are ignored with 'dealloc[]'", at: range.start)
      flags.subtract([.dealloc, .notDealloc])
    }
    if flags.contains([.dealloc, .notDealloc]) {
      diagnostics.warning(.conflictingFlags, "'dealloc' and 'notdealloc' on \(owner) cancel out", at: range.start)
      flags.subtract([.dealloc, .notDealloc])
    }
    return flags
  }

  /// GNU's `itCheckDeallocate`.
  mutating func checkDeallocate(
    _ type: ResolvedType, flags: IPCFlagSet, default defaultValue: Deallocate, owner: String, at range: SourceRange
  ) -> Deallocate {
    var value = defaultValue
    if flags.contains(.maybeDealloc) { value = .maybe }
    if flags.contains(.dealloc) { value = .yes }
    if flags.contains(.notDealloc) { value = .no }
    if value == defaultValue {
      for (flag, spelling) in [(IPCFlagSet.maybeDealloc, "dealloc[]"), (.dealloc, "dealloc"), (.notDealloc, "notdealloc")]
      where flags.contains(flag) {
        diagnostics.warning(.redundantFlag, "'\(spelling)' on \(owner) is redundant (it is the default)", at: range.start)
      }
    }
    if !flags.isDisjoint(with: [.maybeDealloc, .dealloc, .notDealloc]) && value != .no && type.isInline
      && !type.isIndefinite
    {
      diagnostics.warning(
        .deallocOnInlineData,
        "'dealloc' on \(owner), whose data is inline, is surely wrong: only out-of-line memory can be "
          + "deallocated and the kernel rejects the message (GNU MIG only warns \"Dealloc will cause an IPC error\")",
        at: range.start)
    }
    return value
  }

  /// GNU's `itCheckIsLong`.
  mutating func checkIsLong(
    _ type: ResolvedType, flags: IPCFlagSet, default defaultValue: Bool, owner: String, at range: SourceRange
  ) -> Bool {
    var value = defaultValue
    if flags.contains(.isLong) { value = true }
    if flags.contains(.isNotLong) { value = false }
    if value == defaultValue {
      if flags.contains(.isLong) {
        diagnostics.warning(.redundantFlag, "'islong' on \(owner) is redundant", at: range.start)
      }
      if flags.contains(.isNotLong) {
        diagnostics.warning(.redundantFlag, "'isnotlong' on \(owner) is redundant", at: range.start)
      }
    }
    if !flags.isDisjoint(with: [.isLong, .isNotLong]) {
      let use = TypeInfo(type: type, alignment: 1, cAlignment: 1).longFormUse
      if value && use <= .notLong {
        diagnostics.warning(.unneededIsLong, "\(owner) doesn't need 'islong'", at: range.start)
      }
      if !value && use >= .mustBeLong {
        diagnostics.warning(
          .tooBigForIsNotLong, "\(owner) is too big for 'isnotlong' (its descriptor needs the long form)",
          at: range.start)
      }
    }
    return value
  }
}
