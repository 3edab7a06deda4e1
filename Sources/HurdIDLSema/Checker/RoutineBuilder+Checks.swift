import HurdIDLSource
import HurdIDLSyntax

extension RoutineBuilder {
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
