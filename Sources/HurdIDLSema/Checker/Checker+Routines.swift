import HurdIDLSource
import HurdIDLSyntax

/// An argument while GNU's routine algorithm runs. Arguments are inserted into the middle of
/// the list (companions, default ports), so links use stable ids, mapped to indices at the end.
struct WorkArgument {
  var id: Int
  var name: String
  var kind: ArgumentKind?
  var origin: ArgumentOrigin
  var range: SourceRange?
  var type: TypeInfo?
  var traits: ArgumentTraits = []
  var flags: IPCFlagSet = []
  var deallocate: Deallocate = .no
  var isLongForm = false
  var isServerCopy = false
  var isCountInOut = false
  var parent: Int?
  var poly: Int?
  var count: Int?
  var countInOut: Int?
  var dealloc: Int?
  var serverCopy: Int?
  var multiplier: UInt32 = 1
  var value: String?
  var requestPosition: Int?
  var replyPosition: Int?
  var isByReferenceUser = false
  var isByReferenceServer = false
}

extension ArgumentKind {
  /// GNU's `ak…` feature bits for the written kinds.
  var baseTraits: ArgumentTraits {
    switch self {
    case .in: [.userArgument, .serverArgument, .request, .send, .sendBody, .sendSnd, .sendRcv]
    case .out: [.userArgument, .serverArgument, .reply, .return, .returnBody, .returnSnd, .returnRcv, .replyInit]
    case .inout:
      [
        .userArgument, .serverArgument, .request, .reply, .send, .sendBody, .sendSnd, .sendRcv, .return, .returnBody,
        .returnSnd, .returnRcv, .replyInit, .replyCopy,
      ]
    case .requestPort, .replyPort: [.userArgument, .serverArgument, .send, .sendSnd, .sendRcv]
    case .userReplyPort: [.userArgument, .send, .sendSnd, .sendRcv]
    case .serverReplyPort: [.serverArgument, .send, .sendSnd, .sendRcv]
    case .waitTime, .msgOption: [.userArgument]
    case .msgSeqNo: [.serverArgument, .send, .sendRcv]
    case .retCode: [.reply]
    case .countInOut: [.request, .send, .sendBody, .sendSnd, .sendRcv]
    case .serverCopy: [.serverArgument, .sendRcv]
    case .poly, .count, .dealloc: []
    }
  }

  init(_ direction: Direction) {
    switch direction {
    case .in: self = .in
    case .out: self = .out
    case .inout: self = .inout
    case .requestPort: self = .requestPort
    case .replyPort: self = .replyPort
    case .serverReplyPort: self = .serverReplyPort
    case .userReplyPort: self = .userReplyPort
    case .waitTime: self = .waitTime
    case .msgOption: self = .msgOption
    case .msgSeqNo: self = .msgSeqNo
    }
  }
}

/// GNU's distinguished arguments of a routine (ids of `WorkArgument`s).
struct Distinguished {
  var requestPort: Int?
  var userReplyPort: Int?
  var serverReplyPort: Int?
  var waitTime: Int?
  var msgOption: Int?
  var msgSeqNo: Int?
}

extension Checker {
  mutating func checkRoutine(_ decl: RoutineDecl) {
    let name = decl.name.name
    let kind: RoutineKind = decl.kind == .routine ? .routine : .simpleRoutine
    let kindWord = kind == .routine ? "routine" : "simpleroutine"

    if let previous = routineDeclarations[name] {
      diagnostics.error(
        .duplicateRoutine, "a routine named '\(name)' is already declared (GNU MIG would generate two C functions '\(name)')",
        at: decl.name.range.start, notes: [.init("the first declaration is here", at: previous.start)])
    } else {
      routineDeclarations[name] = decl.name.range
    }

    // Message ids: base + running index (both unsigned 32-bit in GNU MIG).
    let index = UInt32(truncatingIfNeeded: counter)
    let requestID64 = UInt64(base) + UInt64(index)
    let requestID = UInt32(truncatingIfNeeded: requestID64)
    let replyID: UInt32? = kind == .routine ? requestID &+ 100 : nil
    if requestID64 > UInt64(UInt32.max) || (kind == .routine && UInt64(requestID) + 100 > UInt64(UInt32.max)) {
      diagnostics.error(
        .messageIDOverflow,
        "\(kindWord) '\(name)' would get message id \(requestID64)\(kind == .routine ? " (reply \(requestID64 + 100))" : ""), "
          + "beyond 4294967295 (subsystem base \(base) + index \(index)); GNU MIG wraps it silently",
        at: decl.name.range.start)
    } else if let owner = requestIDOwners[requestID] {
      diagnostics.error(
        .messageIDCollision,
        "\(kindWord) '\(name)' gets message id \(requestID), already used by '\(owner.name)' "
          + "(the routine counter wrapped)",
        at: decl.name.range.start, notes: [.init("'\(owner.name)' is declared here", at: owner.range.start)])
    }
    if requestIDOwners[requestID] == nil { requestIDOwners[requestID] = (name, decl.name.range) }
    counter = (counter + 1) & UInt64(UInt32.max)

    var builder = RoutineBuilder(checker: self, name: name, kind: kind, declaration: decl.name.range)
    builder.build(decl)
    self = builder.checker
    guard let arguments = builder.finalArguments(), let d = builder.finalDistinguished() else { return }
    routines.append(
      CheckedRoutine(
        kind: kind, name: name, range: decl.range, index: index, requestID: requestID, replyID: replyID,
        userPrefix: userPrefix, serverPrefix: serverPrefix, userName: userPrefix + name,
        serverName: serverPrefix + name, waitTime: waitTime, msgOption: msgOption, arguments: arguments,
        requestPort: d.requestPort, userReplyPort: d.userReplyPort, serverReplyPort: d.serverReplyPort,
        retCode: d.retCode, msgOptionArgument: d.msgOption, waitTimeArgument: d.waitTime,
        msgSeqNoArgument: d.msgSeqNo, hasNoReplyArguments: !arguments.contains { $0.traits.contains(.returnSnd) }))
  }
}

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

  // MARK: Defaults (reply ports, msgoption, waittime)

  mutating func insert(_ argument: WorkArgument, after id: Int?) {
    if let id, let index = position(of: id) {
      arguments.insert(argument, at: index + 1)
    } else {
      arguments.insert(argument, at: 0)
    }
  }

  mutating func addDefaults() {
    let portType = kind == .simpleRoutine ? checker.zeroReplyPortType : checker.realReplyPortType
    if special.userReplyPort == nil {
      var port = makeArgument("dummy ReplyPort arg", origin: .implicit, type: portType)
      port.kind = .userReplyPort
      port.value = port.type?.type.inName.spelling
      special.userReplyPort = port.id
      insert(port, after: special.requestPort)
    }
    if special.serverReplyPort == nil {
      var port = makeArgument("dummy ReplyPort arg", origin: .implicit, type: portType)
      port.kind = .serverReplyPort
      port.value = port.type?.type.inName.spelling
      special.serverReplyPort = port.id
      insert(port, after: special.requestPort)
    }
    if special.msgOption == nil {
      var option = makeArgument("dummy MsgOption arg", origin: .implicit, type: checker.msgOptionType)
      option.kind = .msgOption
      option.value = checker.msgOption ?? "MACH_MSG_OPTION_NONE"
      special.msgOption = option.id
      insert(option, after: special.msgSeqNo)
    }
    if special.waitTime == nil, let value = checker.waitTime {
      var wait = makeArgument("dummy WaitTime arg", origin: .implicit, type: checker.waitTimeType)
      wait.kind = .waitTime
      wait.value = value
      special.waitTime = wait.id
      insert(wait, after: special.msgOption)
    }
  }

  // MARK: rtCheckArgTypes, rtCheckArgTrans

  mutating func checkArgumentTypes() {
    guard let requestID = special.requestPort, let request = position(of: requestID).map({ arguments[$0] }) else {
      checker.diagnostics.error(
        .missingRequestPort,
        "\(kindWord) '\(name)' has no request port: its first argument written without a direction "
          + "(or a 'requestport' argument) names the port the message is sent to",
        at: declaration.start)
      failed = true
      return
    }
    let portSize = checker.portSize
    func isPortShaped(_ t: ResolvedType) -> Bool {
      t.number == 1 && t.sizeInBits == portSize && t.isInline && t.deallocate == .no
        && t.copySemantics == .assignment && !t.isVariable
    }
    if let t = request.type?.type {
      let out = t.outName
      if !(out.value == 17 || out.value == 18 || out.isPolymorphic) || !isPortShaped(t) {
        checker.diagnostics.error(
          .improperRequestPort,
          "request port '\(request.name)' of \(kindWord) '\(name)' has type '\(t.name ?? "?")', "
            + "which is not a single inline send or send-once right (or polymorphic) of \(portSize) bits",
          at: request.range?.start)
        failed = true
      }
    }
    var checkedReplyPorts: Set<Int> = []
    for id in [special.userReplyPort, special.serverReplyPort].compactMap({ $0 }) where !checkedReplyPorts.contains(id) {
      checkedReplyPorts.insert(id)
      guard let index = position(of: id), let t = arguments[index].type?.type else { continue }
      let out = t.outName
      if !(out.value == 17 || out.value == 18 || out.isPolymorphic || out.value == 0) || !isPortShaped(t) {
        checker.diagnostics.error(
          .improperReplyPort,
          "reply port '\(arguments[index].name)' of \(kindWord) '\(name)' has type '\(t.name ?? "?")', "
            + "which is not a single inline port of \(portSize) bits",
          at: arguments[index].range?.start)
        failed = true
      }
    }
    for id in [special.waitTime, special.msgOption, special.msgSeqNo].compactMap({ $0 }) {
      guard let index = position(of: id), let t = arguments[index].type?.type else { continue }
      let ok =
        t.inName.value == 2 && t.outName.value == 2 && !t.inName.isPolymorphic && !t.outName.isPolymorphic
        && t.number == 1 && t.sizeInBits == MachTarget.wordSizeInBits && t.isInline && t.deallocate == .no
        && t.copySemantics == .assignment && !t.isVariable
      if !ok {
        let what = arguments[index].kind?.rawValue.lowercased() ?? "special"
        checker.diagnostics.error(
          .improperIntegerArgument,
          "\(what) argument '\(arguments[index].name)' of \(kindWord) '\(name)' has type '\(t.name ?? "?")'; "
            + "it must be a MACH_MSG_TYPE_INTEGER_32 of 32 bits (e.g. natural_t)",
          at: arguments[index].range?.start)
        failed = true
      }
    }
  }

  mutating func checkTranslations() {
    for argument in arguments {
      guard let t = argument.type?.type, t.cServerType != t.cTransType else { continue }
      if argument.traits.contains(.sendRcv) && t.inTran == nil {
        checker.diagnostics.warning(
          .missingTranslation,
          "argument '\(argument.name)' of \(kindWord) '\(name)': type '\(t.name ?? "?")' has server type "
            + "'\(t.cServerType ?? "")' and translation type '\(t.cTransType ?? "")' but no in-translation function",
          at: argument.range?.start)
      }
      if argument.traits.contains(.returnSnd) && t.outTran == nil {
        checker.diagnostics.warning(
          .missingTranslation,
          "argument '\(argument.name)' of \(kindWord) '\(name)': type '\(t.name ?? "?")' has server type "
            + "'\(t.cServerType ?? "")' and translation type '\(t.cTransType ?? "")' but no out-translation function",
          at: argument.range?.start)
      }
    }
  }

  /// A written argument named like a companion (`xCnt` next to a variable `x`) collides in C.
  mutating func checkCompanionNames(_ written: [String: SourceRange]) {
    for argument in arguments where argument.origin == .companion {
      guard !argument.traits.isDisjoint(with: [.userArgument, .serverArgument]),
        let clash = written[argument.name], let parentID = argument.parent, let parent = position(of: parentID)
      else { continue }
      checker.diagnostics.error(
        .duplicateArgument,
        "argument '\(argument.name)' of \(kindWord) '\(name)' has the name of the implicit "
          + "\(argument.kind?.rawValue ?? "") argument of '\(arguments[parent].name)'",
        at: clash.start,
        notes: arguments[parent].range.map { [.init("'\(arguments[parent].name)' is here", at: $0.start)] } ?? [])
      failed = true
    }
  }

  // MARK: rtCheckVariable, rtCheckDestroy, rtAddByReference

  mutating func computePositions() {
    var requestVariables = 0
    var replyVariables = 0
    for index in arguments.indices {
      let argument = arguments[index]
      let parentIndex = argument.kind == .countInOut ? nil : argument.parent.flatMap { position(of: $0) }
      if let parentIndex {
        arguments[index].requestPosition = arguments[parentIndex].requestPosition
        arguments[index].replyPosition = arguments[parentIndex].replyPosition
      } else {
        if !argument.traits.isDisjoint(with: [.request, .send]) {
          arguments[index].requestPosition = requestVariables
          if argument.traits.contains(.variable) { requestVariables += 1 }
        }
        if !argument.traits.isDisjoint(with: [.reply, .return]) {
          arguments[index].replyPosition = replyVariables
          if argument.traits.contains(.variable) { replyVariables += 1 }
        }
      }
      let traits = arguments[index].traits
      if traits.contains(.returnSnd) && traits.isDisjoint(with: [.replyCopy, .varNeeded])
        && (arguments[index].replyPosition ?? -1) > 0
      {
        arguments[index].traits.insert(.varNeeded)
      }
    }
  }

  mutating func computeDestroy() {
    for index in arguments.indices {
      let argument = arguments[index]
      guard argument.traits.contains(.sendRcv), !argument.traits.contains(.returnSnd) else { continue }
      if argument.type?.type.destructor != nil || (argument.traits.contains(.indefinite) && !argument.isServerCopy) {
        arguments[index].traits.insert(.destroy)
      }
    }
  }

  mutating func computeByReference() {
    for index in arguments.indices {
      let argument = arguments[index]
      guard let t = argument.type?.type else { continue }
      let structLike = t.copySemantics == .assignment || t.isIndefinite
      if argument.traits.contains(.returnRcv) && structLike {
        arguments[index].isByReferenceUser = true
        if argument.kind == .count, let sibling = argument.countInOut, let siblingIndex = position(of: sibling) {
          arguments[siblingIndex].isByReferenceUser = true
        }
      }
      if argument.traits.contains(.returnSnd) && structLike { arguments[index].isByReferenceServer = true }
    }
  }

  // MARK: Results

  func finalArguments() -> [CheckedArgument]? {
    if failed || checker.diagnostics.hasErrors { return nil }
    var result: [CheckedArgument] = []
    for argument in arguments {
      guard let kind = argument.kind, let type = argument.type?.type else { return nil }
      func index(_ id: Int?) -> Int? { id.flatMap { position(of: $0) } }
      result.append(
        CheckedArgument(
          name: argument.name, kind: kind, origin: argument.origin, range: argument.range, type: type,
          traits: argument.traits, flags: argument.flags, deallocate: argument.deallocate,
          isLongForm: argument.isLongForm, isServerCopy: argument.isServerCopy, isCountInOut: argument.isCountInOut,
          parent: index(argument.parent),
          companions: Companions(
            poly: index(argument.poly), count: index(argument.count), countInOut: index(argument.countInOut),
            dealloc: index(argument.dealloc), serverCopy: index(argument.serverCopy)),
          multiplier: argument.multiplier, value: argument.value, requestPosition: argument.requestPosition,
          replyPosition: argument.replyPosition, isByReferenceUser: argument.isByReferenceUser,
          isByReferenceServer: argument.isByReferenceServer))
    }
    return result
  }

  struct FinalDistinguished {
    var requestPort: Int
    var userReplyPort: Int
    var serverReplyPort: Int
    var retCode: Int
    var msgOption: Int
    var waitTime: Int?
    var msgSeqNo: Int?
  }

  func finalDistinguished() -> FinalDistinguished? {
    guard let requestPort = special.requestPort.flatMap({ position(of: $0) }),
      let userReplyPort = special.userReplyPort.flatMap({ position(of: $0) }),
      let serverReplyPort = special.serverReplyPort.flatMap({ position(of: $0) }),
      let retCode = position(of: retCodeID),
      let msgOption = special.msgOption.flatMap({ position(of: $0) })
    else { return nil }
    return FinalDistinguished(
      requestPort: requestPort, userReplyPort: userReplyPort, serverReplyPort: serverReplyPort, retCode: retCode,
      msgOption: msgOption, waitTime: special.waitTime.flatMap { position(of: $0) },
      msgSeqNo: special.msgSeqNo.flatMap { position(of: $0) })
  }
}
