import HurdIDLSource
import HurdIDLSyntax

/// Runs GNU's `rtCheckRoutine` on one routine.
struct RoutineBuilder {
  var checker: Checker
  let name: String
  let kind: RoutineKind
  let declaration: SourceRange
  var arguments: [WorkArgument] = []
  var nextID = 0
  var special = Distinguished()
  var retCodeID = 0
  var failed = false

  init(checker: Checker, name: String, kind: RoutineKind, declaration: SourceRange) {
    self.checker = checker
    self.name = name
    self.kind = kind
    self.declaration = declaration
  }

  var kindWord: String { kind == .routine ? "routine" : "simpleroutine" }
  var isKernelServer: Bool { checker.isKernelServer }
  var isKernelUser: Bool { checker.isKernelUser }

  mutating func makeArgument(_ name: String, origin: ArgumentOrigin, type: TypeInfo?) -> WorkArgument {
    defer { nextID += 1 }
    return WorkArgument(id: nextID, name: name, kind: nil, origin: origin, range: nil, type: type)
  }

  func position(of id: Int) -> Int? { arguments.firstIndex { $0.id == id } }

  mutating func build(_ decl: RoutineDecl) {
    // rtAddRetCode: first in the list (and in the reply).
    var retCode = makeArgument("RetCode", origin: .implicit, type: checker.retCodeType)
    retCode.kind = .retCode
    retCode.traits = ArgumentKind.retCode.baseTraits
    retCodeID = retCode.id
    arguments.append(retCode)

    var written: [String: SourceRange] = [:]
    for argument in decl.arguments {
      if let previous = written[argument.name.name] {
        checker.diagnostics.error(
          .duplicateArgument, "\(kindWord) '\(name)' has two arguments named '\(argument.name.name)'",
          at: argument.name.range.start, notes: [.init("the first one is here", at: previous.start)])
        failed = true
      } else {
        written[argument.name.name] = argument.name.range
      }
      let type: TypeInfo?
      switch argument.type {
      case .reference(let identifier): type = checker.lookUp(identifier)
      case .inline(let typeDecl): type = checker.resolveNamedType(typeDecl, origin: .argumentDeclaration)
      }
      if type == nil { failed = true }
      var work = makeArgument(argument.name.name, origin: .written, type: type)
      work.range = argument.range
      work.kind = argument.direction.map { ArgumentKind($0.value) }
      work.traits = work.kind?.baseTraits ?? []
      work.flags = checker.convertFlags(argument.flags, owner: "argument '\(argument.name.name)'")
      arguments.append(work)
    }

    checkArguments()
    addDefaults()
    checkArgumentTypes()
    checkTranslations()
    if kind == .simpleRoutine, let out = arguments.first(where: { $0.traits.contains(.return) && $0.origin == .written }) {
      checker.diagnostics.error(
        .simpleRoutineOutArgument,
        "simpleroutine '\(name)' has the out argument '\(out.name)', but a simpleroutine gets no reply; "
          + "make it a routine or the argument 'in'",
        at: out.range?.start)
      failed = true
    }
    checkCompanionNames(written)
    if failed || checker.diagnostics.hasErrors { return }
    computePositions()
    computeDestroy()
    computeByReference()
  }

  // MARK: rtCheckRoutineArgs

  mutating func checkArguments() {
    var index = 0
    while index < arguments.count {
      // rtDefaultArgKind: the first direction-less argument is the request port.
      if arguments[index].kind == nil {
        arguments[index].kind = special.requestPort == nil ? .requestPort : .in
        arguments[index].traits = arguments[index].kind!.baseTraits
      }
      noteSpecial(index)
      setArgumentDefaults(index)
      if arguments[index].type != nil {
        processFlags(index)
        augmentKind(index)
        addCompanions(index)
      }
      index += 1
    }
  }

  /// rtCheckRoutineArg: the distinguished arguments (the last one wins, with a warning).
  mutating func noteSpecial(_ index: Int) {
    let argument = arguments[index]
    func replace(_ keyPath: WritableKeyPath<Distinguished, Int?>, _ what: String) {
      if let old = special[keyPath: keyPath], let oldIndex = position(of: old) {
        let oldName = arguments[oldIndex].name
        checker.diagnostics.warning(
          .multipleSpecialArguments,
          "\(kindWord) '\(name)' has several \(what) arguments; '\(oldName)' is not used, '\(argument.name)' is",
          at: argument.range?.start,
          notes: arguments[oldIndex].range.map { [.init("'\(oldName)' is here", at: $0.start)] } ?? [])
      }
      special[keyPath: keyPath] = argument.id
    }
    switch argument.kind {
    case .requestPort: replace(\.requestPort, "request port")
    case .replyPort:
      replace(\.userReplyPort, "user reply port")
      replace(\.serverReplyPort, "server reply port")
    case .userReplyPort: replace(\.userReplyPort, "user reply port")
    case .serverReplyPort: replace(\.serverReplyPort, "server reply port")
    case .waitTime: replace(\.waitTime, "waittime")
    case .msgOption: replace(\.msgOption, "msgoption")
    case .msgSeqNo: replace(\.msgSeqNo, "msgseqno")
    default: break
    }
  }

  /// rtSetArgDefaults: the poly companions of the header ports read `msgh_bits`.
  mutating func setArgumentDefaults(_ index: Int) {
    let argument = arguments[index]
    guard argument.kind == .poly, let parent = argument.parent else { return }
    if parent == special.requestPort {
      arguments[index].type?.type.inTran = "MACH_MSGH_BITS_REQUEST"
    } else if parent == special.userReplyPort || parent == special.serverReplyPort {
      arguments[index].type?.type.inTran = "MACH_MSGH_BITS_REPLY"
    }
  }

  /// rtProcessArgFlags.
  mutating func processFlags(_ index: Int) {
    var argument = arguments[index]
    guard let t = argument.type?.type else { return }
    let owner = "argument '\(argument.name)'"
    let at = argument.range ?? t.range ?? declaration
    argument.flags = checker.checkFlags(argument.flags, owner: owner, at: at)
    let kernelDirection =
      (isKernelServer && argument.traits.contains(.return)) || (isKernelUser && argument.traits.contains(.send))
    if kernelDirection && argument.flags.contains(.dealloc) && t.deallocate == .no {
      argument.deallocate = .yes
    } else {
      argument.deallocate = checker.checkDeallocate(
        t, flags: argument.flags, default: t.deallocate, owner: owner, at: at)
    }
    argument.isLongForm = checker.checkIsLong(t, flags: argument.flags, default: t.isLongForm, owner: owner, at: at)
    if argument.flags.contains(.serverCopy) {
      if t.isIndefinite && argument.traits.contains(.send) {
        argument.isServerCopy = true
      } else {
        checker.diagnostics.warning(
          .serverCopyMeaningless,
          "'servercopy' on \(owner) has no effect: it applies only to 'in' arguments of an 'array[]' type",
          at: at.start)
      }
    }
    if argument.flags.contains(.countInOut) {
      if t.isVariable && t.isInline && argument.traits.contains(.reply) {
        argument.isCountInOut = true
      } else {
        checker.diagnostics.warning(
          .countInOutMeaningless,
          "'countinout' on \(owner) has no effect: it applies only to 'out' arguments of an inline variable array type",
          at: at.start)
      }
    }
    arguments[index] = argument
  }

  /// rtAugmentArgKind.
  mutating func augmentKind(_ index: Int) {
    var argument = arguments[index]
    guard let t = argument.type?.type else { return }
    if t.isVariable && t.isInline {
      if argument.traits.contains([.request, .reply]) {
        checker.diagnostics.error(
          .inoutVariableArray,
          "argument '\(argument.name)' of \(kindWord) '\(name)' cannot be 'inout': its type '\(t.name ?? "?")' is an "
            + "inline variable-sized array (use separate 'in' and 'out' arguments)",
          at: argument.range?.start)
        failed = true
      }
      argument.traits.insert(.variable)
      if t.isIndefinite { argument.traits.insert(.indefinite) }
    }
    if argument.traits.contains(.request) && !argument.isLongForm && !t.outName.isPolymorphic && !t.isVariable
      && !(isKernelServer && (!t.isInline || t.outName.isPortRight))
    {
      argument.traits.insert(.requestQuickCheck)
    }
    if argument.traits.contains(.reply) && !argument.isLongForm && !t.outName.isPolymorphic && !t.isVariable {
      argument.traits.insert(.replyQuickCheck)
    }
    let traits = argument.traits
    let needsLocal =
      (t.outTran != nil && traits.contains(.returnSnd))
      || (t.inTran != nil && traits.contains([.sendRcv, .returnSnd]))
      || (t.destructor != nil && traits.contains(.sendRcv) && !traits.contains(.returnSnd) && t.inTran != nil)
      || ([.count, .poly, .dealloc].contains(argument.kind) && traits.contains(.returnSnd))
      || t.inTranPayload != nil
    if needsLocal {
      argument.traits.remove(.replyCopy)
      argument.traits.insert(.varNeeded)
    }
    if t.isIndefinite && argument.traits.contains(.returnSnd) { argument.traits.insert(.pointer) }
    arguments[index] = argument
  }

  /// Inserts the companions right after the argument, in GNU's insertion order, which leaves the
  /// list as `arg Poly CountInOut Count Dealloc SCopy`.
  mutating func addCompanions(_ index: Int) {
    let argument = arguments[index]
    guard let t = argument.type?.type else { return }
    if argument.isServerCopy {
      var scopy = makeArgument(argument.name + "SCopy", origin: .companion, type: checker.booleanType)
      scopy.kind = .serverCopy
      scopy.traits = ArgumentKind.serverCopy.baseTraits
      scopy.parent = argument.id
      arguments[index].serverCopy = scopy.id
      arguments.insert(scopy, at: index + 1)
    }
    if argument.deallocate == .maybe {
      var dealloc = makeArgument(argument.name + "Dealloc", origin: .companion, type: checker.booleanType)
      dealloc.kind = .dealloc
      dealloc.parent = argument.id
      if argument.traits.contains(.send) {
        var keep: ArgumentTraits = [.userArgument, .send, .sendBody]
        if !t.isIndefinite { keep.insert(.sendSnd) }
        dealloc.traits.formUnion(argument.traits.intersection(keep))
      }
      if argument.traits.contains(.return) {
        var keep: ArgumentTraits = [.serverArgument, .return, .returnBody]
        if !t.isIndefinite { keep.insert(.returnSnd) }
        dealloc.traits.formUnion(argument.traits.intersection(keep))
        if t.isIndefinite {
          dealloc.traits.insert(.varNeeded)
          dealloc.isByReferenceServer = true
        }
      }
      arguments[index].dealloc = dealloc.id
      arguments.insert(dealloc, at: index + 1)
    }
    if t.isVariable {
      var count = makeArgument(argument.name + "Cnt", origin: .companion, type: checker.countType)
      count.kind = .count
      count.parent = argument.id
      count.multiplier = t.elementType?.number ?? 1
      if !t.isString {
        count.traits = [.userArgument, .serverArgument]
        count.traits.formUnion(argument.traits.intersection(ArgumentTraits.sendBits.union(ArgumentTraits.returnBits)))
      }
      arguments[index].count = count.id
      arguments.insert(count, at: index + 1)
    }
    if arguments[index].isCountInOut, let countID = arguments[index].count {
      var countInOut = makeArgument(argument.name + "Cnt", origin: .companion, type: checker.countType)
      countInOut.kind = .countInOut
      countInOut.traits = ArgumentKind.countInOut.baseTraits
      countInOut.parent = argument.id
      countInOut.count = countID
      if let countIndex = position(of: countID) { arguments[countIndex].countInOut = countInOut.id }
      arguments[index].countInOut = countInOut.id
      arguments.insert(countInOut, at: index + 1)
    }
    if t.isPolymorphic {
      var poly = makeArgument(argument.name + "Poly", origin: .companion, type: checker.polyType)
      poly.kind = .poly
      poly.parent = argument.id
      var sendBits: ArgumentTraits = [.send, .sendBody]
      var returnBits: ArgumentTraits = [.return, .returnBody]
      if t.inName.isPolymorphic {
        sendBits.formUnion([.userArgument, .sendSnd])
        if !isKernelServer { returnBits.formUnion([.serverArgument, .returnSnd]) }
      }
      if t.outName.isPolymorphic {
        sendBits.formUnion([.serverArgument, .sendRcv])
        returnBits.formUnion([.userArgument, .returnRcv])
        if isKernelServer { returnBits.formUnion([.serverArgument, .returnSnd]) }
      }
      if argument.traits.contains(.send) { poly.traits.formUnion(argument.traits.intersection(sendBits)) }
      if argument.traits.contains(.return) { poly.traits.formUnion(argument.traits.intersection(returnBits)) }
      arguments[index].poly = poly.id
      arguments.insert(poly, at: index + 1)
    }
  }
}
