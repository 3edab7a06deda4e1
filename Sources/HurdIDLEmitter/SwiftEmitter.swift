public import HurdIDLCTypes
public import HurdIDLPlanner
public import HurdIDLSema
public import HurdIDLSource

/// What to generate and how.
public struct EmitterOptions: Sendable, Hashable {
  public enum AccessLevel: String, Sendable, Hashable, CaseIterable {
    case `internal`, package, `public`
  }
  /// Where the declarations both sides use go: the namespace enum (subsystem constants,
  /// `Routine`, `routineTable`, reply structs) and the message codecs.
  public enum SharedDeclarations: String, Sendable, Hashable, CaseIterable {
    /// In this file, beside the sides asked for: a self-contained file (the default).
    case included
    /// Not in this file: another file of the same module, generated with `.only`, holds them.
    /// This is how client and server go into separate files of one module.
    case omitted
    /// Only the shared declarations (`client` and `server` are ignored).
    case only
  }

  public var client: Bool
  public var server: Bool
  public var shared: SharedDeclarations
  public var accessLevel: AccessLevel
  public var naming: NamingStyle
  /// The input's path relative to its include root, as the header and doc comments show it.
  public var sourcePath: String
  /// Display paths of included buffers (relative to their include root); buffers not listed are
  /// shown as `sourcePath`.
  public var bufferPaths: [BufferID: String]
  /// The C types of the interface's headers (from the C import): `.defs` types whose C type is a
  /// plain struct become Swift structs (docs/c-import.md). `nil`: no C mapping.
  public var cTypes: CTypeTable?
  /// The Swift module the file is compiled into (`hurdidl generate --module-name`), nil when
  /// unknown. Generated code still refers to its own declarations unqualified, so the default
  /// output compiles in any module; a known module adds the module-qualified names of the
  /// declarations to the header and makes a declaration named like the module an error
  /// (``SwiftEmitter/moduleNameCollisionCode``).
  public var moduleName: String?

  public init(
    client: Bool = true, server: Bool = true, shared: SharedDeclarations = .included, accessLevel: AccessLevel = .internal,
    naming: NamingStyle = .swift, sourcePath: String, bufferPaths: [BufferID: String] = [:]
  ) {
    self.client = client
    self.server = server
    self.shared = shared
    self.accessLevel = accessLevel
    self.naming = naming
    self.sourcePath = sourcePath
    self.bufferPaths = bufferPaths
  }
}

extension EmitterOptions {
  /// The file name for an input whose stem (file name without `.defs`, possibly folder-qualified
  /// by the caller to avoid collisions) is `stem`: `<stem>.hurdidl.swift` for a self-contained
  /// file; with the shared declarations in their own file, `<stem>.shared.hurdidl.swift` and
  /// `<stem>.client.hurdidl.swift` / `<stem>.server.hurdidl.swift` /
  /// `<stem>.client-server.hurdidl.swift` for the sides. Distinct options give distinct names, so
  /// the three files of one input never collide.
  public func fileName(stem: String) -> String {
    switch shared {
    case .included: return stem + ".hurdidl.swift"
    case .only: return stem + ".shared.hurdidl.swift"
    case .omitted:
      let sides = [client ? "client" : nil, server ? "server" : nil].compactMap(\.self).joined(separator: "-")
      return stem + "." + (sides.isEmpty ? "empty" : sides) + ".hurdidl.swift"
    }
  }

  /// The stem of `sourcePath`: its file name without `.defs`.
  public var sourceStem: String {
    let name = sourcePath.split(separator: "/").last.map(String.init) ?? sourcePath
    return name.hasSuffix(".defs") ? String(name.dropLast(5)) : name
  }

  /// Whether this file holds the client / the server / the shared declarations.
  var emitsClient: Bool { client && shared != .only }
  var emitsServer: Bool { server && shared != .only }
  var emitsShared: Bool { shared != .omitted }
}

/// One generated Swift file.
public struct GeneratedFile: Sendable, Equatable {
  /// `<stem>.hurdidl.swift`.
  public var fileName: String
  public var contents: String
  /// Warnings about routines that could not be generated (each also has a comment in the file),
  /// and a `module-name-collision` error (then the file must not be used).
  public var diagnostics: [Diagnostic]
  /// The top-level types the file declares (`Hello`, `HelloClient`, `HelloServer`, …), in
  /// order: what must not meet the declarations of other files compiled into the same module.
  public var topLevelTypes: [String]
}

/// Checked interface + native L4 plan → Swift source (docs/swift-mapping.md).
public enum SwiftEmitter {
  public static func generate(
    interface: CheckedInterface, plan: L4InterfacePlan, options: EmitterOptions
  ) -> GeneratedFile {
    var emitter = Emitter(interface: interface, plan: plan, options: options)
    let nodes = emitter.file()
    return GeneratedFile(
      fileName: options.fileName(stem: options.sourceStem), contents: SwiftRenderer().render(nodes),
      diagnostics: emitter.diagnostics, topLevelTypes: emitter.topLevelTypes)
  }

  /// The diagnostic code of a routine the emitter skipped.
  public static let unsupportedCode = DiagnosticCode(rawValue: "emit-unsupported")
  /// The diagnostic code of a generated type named like the module it is compiled into
  /// (``EmitterOptions/moduleName``).
  public static let moduleNameCollisionCode = DiagnosticCode(rawValue: "module-name-collision")

  /// Module names generated code cannot be compiled into: it imports `HurdRPC` and qualifies
  /// names with `HurdRPC.` and `Swift.`, which a module of that name would capture.
  public static let reservedModuleNames: Set<String> = ["HurdRPC", "Swift"]
}

private struct Emitter {
  let interface: CheckedInterface
  let plan: L4InterfacePlan
  let options: EmitterOptions
  let naming: SwiftNaming
  let access: String
  var diagnostics: [Diagnostic] = []
  let routines: [EmitRoutine]
  let namespace: String
  let subsystemName: String
  let base: UInt32
  /// The Swift structs for C structs the routines use (CStructMapping.swift).
  let cStructs: [CStructMapping]

  init(interface: CheckedInterface, plan: L4InterfacePlan, options: EmitterOptions) {
    self.interface = interface
    self.plan = plan
    self.options = options
    naming = SwiftNaming(style: options.naming)
    access = options.accessLevel == .internal ? "" : options.accessLevel.rawValue + " "
    subsystemName = interface.subsystem?.name ?? "types"
    base = interface.subsystem?.base ?? 0
    namespace = naming.type(subsystemName)
    var routines: [EmitRoutine] = []
    var usedMembers = Set<String>()
    var usedTypes = Set<String>()
    let cStructPlan = CStructMapper.plan(interface: interface, table: options.cTypes, naming: naming, namespace: namespace)
    diagnostics = cStructPlan.diagnostics
    for (routine, routinePlan) in zip(interface.routines, plan.routines) {
      var emitted = EmitModelBuilder.build(routine: routine, plan: routinePlan, naming: naming)
      emitted.mapCStructs(cStructPlan.mappings)
      // Two `.defs` names can become one Swift name (`dir_lookup`, `dirLookup`): later routines
      // get a `_` suffix, in declaration order, so the output stays deterministic and compiles.
      emitted.swiftName = Self.unique(emitted.swiftName, in: &usedMembers)
      emitted.typeName = Self.unique(emitted.typeName, in: &usedTypes)
      routines.append(emitted)
    }
    self.routines = routines
    cStructs = CStructMapper.used(by: routines)
  }

  /// `name`, or `name_`, `name__`… when an earlier routine already took it.
  static func unique(_ name: String, in used: inout Set<String>) -> String {
    var candidate = name
    while used.contains(candidate.trimmingBackticks) { candidate = candidate.trimmingBackticks + "_" }
    used.insert(candidate.trimmingBackticks)
    return candidate
  }

  // MARK: - File

  /// The top-level types this file declares (`GeneratedFile/topLevelTypes`).
  var topLevelTypes: [String] {
    guard interface.subsystem != nil else { return [] }
    return (options.emitsShared ? [namespace] : []) + (options.emitsClient ? [namespace + "Client"] : [])
      + (options.emitsServer ? [namespace + "Server", namespace + "ServerDefaults", namespace + "Demux"] : [])
  }

  /// The header's lines about the module (`--module-name`), and the collision error.
  mutating func moduleHeader() -> [String] {
    guard let module = options.moduleName else { return [] }
    let types = topLevelTypes.map { "`\(module).\($0.trimmingBackticks)`" }
    if let subsystem = interface.subsystem, topLevelTypes.contains(where: { $0.trimmingBackticks == module }) {
      diagnostics.append(
        Diagnostic(
          .error, SwiftEmitter.moduleNameCollisionCode,
          "the generated type '\(namespace.trimmingBackticks)' has the name of its module '\(module)': "
            + "'\(module).\(namespace.trimmingBackticks)Client' would look inside the type, not the module, and Swift "
            + "cannot write the module's interface; choose another --module-name or rename the subsystem",
          at: subsystem.range.start))
    }
    let declares = types.isEmpty ? [] : ["Declares " + types.joined(separator: ", ") + "."]
    return ["", "For module \(module) (`--module-name \(module)`)."] + declares
  }

  mutating func file() -> [SwiftNode] {
    var nodes: [SwiftNode] = [
      .comment(
        [
          "DO NOT EDIT.", "swift-format-ignore-file", "swiftlint:disable all", "",
          "Generated by hurdidl from \(options.sourcePath).",
        ] + moduleHeader()),
      .blank,
      .comment(["The runtime's marshalling helpers (`HurdRPC.GeneratedWire`) are SPI for generated code."]),
      .line("@_spi(Generated) import HurdRPC"),
      .blank,
      .comment([
        "If this line does not compile, this file was generated for another version of the HurdRPC",
        "runtime: regenerate it with the `hurdidl generate` that matches the HurdRPC you build with.",
      ]),
      .line("fileprivate typealias _HurdRPCGeneratedCodeVersionCheck = HurdRPC.GeneratedCodeVersion_4"),
      .blank,
    ]
    // Routines not generated are reported with the routine table, translations with the server,
    // so a module generated as several files reports each once.
    for routine in routines where options.emitsShared {
      if let reason = routine.unsupported {
        diagnostics.append(
          Diagnostic(
            .warning, SwiftEmitter.unsupportedCode, "routine '\(routine.routine.name)' is not generated: \(reason)",
            at: routine.routine.range.start))
      }
    }
    // One warning per unapplied translation (at its first routine), naming every routine it
    // concerns: an interface translating its request port would otherwise warn for every routine.
    var ignored: [(reason: String, routines: [CheckedRoutine])] = []
    for routine in routines where routine.unsupported == nil {
      let reasons =
        (options.emitsServer ? routine.ignoredTranslations : []) + (options.emitsClient ? routine.ignoredClientOptions : [])
      for reason in reasons {
        if let index = ignored.firstIndex(where: { $0.reason == reason }) {
          ignored[index].routines.append(routine.routine)
        } else {
          ignored.append((reason, [routine.routine]))
        }
      }
    }
    for (reason, concerned) in ignored {
      let names = concerned.map { "'\($0.name)'" }.joined(separator: ", ")
      let which = concerned.count == 1 ? "routine \(names)" : "routines \(names)"
      diagnostics.append(Diagnostic(.warning, SwiftEmitter.unsupportedCode, "\(which): \(reason)", at: concerned[0].range.start))
    }
    guard interface.subsystem != nil else {
      nodes.append(.comment(["\(options.sourcePath) declares types only: nothing to generate."]))
      return nodes
    }
    if options.emitsShared {
      nodes += namespaceDeclaration()
    } else {
      let sharedFile = EmitterOptions(shared: .only, sourcePath: options.sourcePath).fileName(stem: options.sourceStem)
      nodes.append(
        .comment([
          "`\(namespace)` (the routine table, reply structs and message codecs) is declared in the",
          "file generated with the shared declarations (`\(sharedFile)`), in the same module.",
        ]))
    }
    if options.emitsClient { nodes += [.blank, .comment(["MARK: - Client"]), .blank] + clientDeclaration() }
    if options.emitsServer {
      nodes += [.blank, .comment(["MARK: - Server"]), .blank] + serverDeclarations()
    }
    if options.emitsShared {
      nodes += [.blank, .comment(["MARK: - Wire format (native L4 plan)"]), .blank, codecDeclaration()]
    }
    return nodes
  }

  func location(_ range: SourceRange) -> String {
    let path = options.bufferPaths[range.start.buffer] ?? options.sourcePath
    return "\(path):\(range.start.line)"
  }

  func routineSummary(_ routine: EmitRoutine) -> String {
    let r = routine.routine
    let ids = r.replyID.map { "request \(r.requestID), reply \($0)" } ?? "request \(r.requestID), one-way"
    return "`\(r.name)` — \(ids) (\(location(r.range)))."
  }

  var supported: [EmitRoutine] { routines.filter { $0.unsupported == nil } }

  // MARK: - Namespace

  func namespaceDeclaration() -> [SwiftNode] {
    var body: [SwiftNode] = [
      .doc(["The subsystem's name in the `.defs`."]),
      .line("\(access)static let subsystemName = \"\(subsystemName)\""),
      .doc(["The first message id; request `id` is routine slot `id - base`."]),
      .line("\(access)static let base: Swift.UInt64 = \(base)"),
      .doc(["Message ids the subsystem uses (routines and `skip` holes)."]),
      .line("\(access)static let messageIDCount = \(interface.messageIDCount)"),
      .blank,
      .doc(["The routines of the subsystem."]),
      .braces("\(access)enum Routine: Swift.Hashable, Swift.Sendable", supported.flatMap { routine -> [SwiftNode] in
        [.doc([routineSummary(routine)]), .line("case \(routine.swiftName)")]
      }),
      .blank,
      .doc(["The demux table: slot `id - base` → routine; `nil` for `skip` holes and routines not generated."]),
    ]
    var table: [SwiftNode] = []
    let bySlot = Dictionary(routines.map { ($0.slot, $0) }, uniquingKeysWith: { first, _ in first })
    for slot in 0..<interface.messageIDCount {
      if let routine = bySlot[slot] {
        if routine.unsupported == nil {
          table.append(.line(".\(routine.swiftName),  // \(base &+ slot) \(routine.routine.name)"))
        } else {
          table.append(.line("nil,  // \(base &+ slot) \(routine.routine.name): not generated"))
        }
      } else {
        table.append(.line("nil,  // \(base &+ slot) skip"))
      }
    }
    body.append(.block(opening: "\(access)static let routineTable: [Routine?] = [", body: table, closing: "]"))
    body += cStructs.flatMap { [.blank] + $0.declaration(access: access) }
    for routine in supported where routine.results.count > 1 {
      body += [.blank] + replyStruct(routine)
    }
    return [
      .doc(["Subsystem `\(subsystemName)` (base \(base)), from \(location(interface.subsystem!.range))."]),
      .block(opening: "\(access)enum \(namespace) {", body: body, closing: "}"),
    ]
  }

  func replyStruct(_ routine: EmitRoutine) -> [SwiftNode] {
    var body: [SwiftNode] = []
    for value in routine.results {
      body += [.doc(["`\(value.declaration)`."]), .line("\(access)var \(value.swiftName): \(value.shape.swiftType)")]
    }
    body += [.blank, .doc(["The results, in `.defs` order."])]
    let parameters = routine.results.map { SwiftFunction.Parameter(name: $0.swiftName, type: $0.shape.swiftType) }
    let initLine = "\(access)init(" + parameters.map(\.renderedForInit).joined(separator: ", ") + ") {"
    body.append(.block(opening: initLine, body: routine.results.map { .line("self.\($0.swiftName) = \($0.swiftName)") }, closing: "}"))
    return [
      .doc(["The results of `\(routine.routine.name)`."]),
      .block(opening: "\(access)struct \(routine.typeName)Reply: Swift.Sendable {", body: body, closing: "}"),
    ]
  }

  func resultType(_ routine: EmitRoutine) -> String? {
    switch routine.results.count {
    case 0: nil
    case 1: routine.results[0].shape.swiftType
    default: "\(namespace).\(routine.typeName)Reply"
    }
  }

  // MARK: - Client

  func clientDeclaration() -> [SwiftNode] {
    var body: [SwiftNode] = [
      .doc(["The runtime client every call goes through (transport + interceptors)."]),
      .line("\(access)let rpc: HurdRPC.RPCClient<Transport>"),
      .blank,
      .doc(["A client that calls through `rpc` (with its interceptors)."]),
      .line("\(access)init(rpc: HurdRPC.RPCClient<Transport>) { self.rpc = rpc }"),
      .doc(["A client that calls `transport` directly."]),
      .line("\(access)init(transport: Transport) { self.rpc = HurdRPC.RPCClient(transport: transport) }"),
    ]
    for routine in routines {
      body.append(.blank)
      guard routine.unsupported == nil else {
        body.append(.comment(["`\(routine.routine.name)` is not generated: \(routine.unsupported!)."]))
        continue
      }
      body.append(.function(clientMethod(routine, isAsync: false)))
      body.append(.blank)
      body.append(.function(clientMethod(routine, isAsync: true)))
    }
    return [
      .doc(["Client of subsystem `\(subsystemName)`: one method per routine, bound to a transport that reaches the server."]),
      .block(
        opening: "\(access)struct \(namespace)Client<Transport: HurdRPC.ClientTransport>: Swift.Sendable {", body: body,
        closing: "}"),
    ]
  }

  func documentation(_ routine: EmitRoutine, isAsync: Bool, server: Bool) -> [String] {
    var lines = [routineSummary(routine)]
    if routine.isOneWay { lines.append(server ? "One-way: no reply is sent." : "One-way: returns once the request is sent.") }
    if isAsync { lines.append("Runs the blocking call off the cooperative pool; task cancellation cancels the call.") }
    lines.append("")
    lines.append("- Parameters:")
    if server {
      let translated = routine.target.translation?.defsInTran.map { ", through `\($0)`" } ?? ""
      lines.append("  - target: the object the request is addressed to (request port `\(routine.target.defsName)`\(translated)).")
      if let port = routine.serverReplyPort {
        lines.append(
          "  - \(port.swiftName): `\(port.declaration)`: return to answer now, or `deferReply()` to answer later (calls served through a capability bucket).")
      }
    }
    for value in routine.parameters {
      lines.append("  - \(value.swiftName): `\(value.declaration)`.")
    }
    if !server {
      if let wait = routine.waitTimeArgument {
        lines.append("  - \(wait.swiftName): `waittime \(wait.declaration)`: the call's timeout in milliseconds.")
      }
      if let option = routine.msgOptionArgument {
        lines.append("  - \(option.swiftName): `msgoption \(option.declaration)`: Mach message options for this call.")
      }
    }
    if server, let sequence = routine.sequenceNumber {
      lines.append("  - \(sequence.swiftName): `msgseqno \(sequence.declaration)`: the request's number among those this demux received.")
    }
    if server {
      lines.append("  - context: the caller and the call's deadline and cancellation.")
    } else {
      let timeout = routine.waitTimeMilliseconds.map { " (default: the `.defs` `waittime` of \($0) ms)" } ?? ""
      lines.append("  - options: timeouts and cancellation\(timeout).")
    }
    if !routine.results.isEmpty {
      lines.append("- Returns: " + routine.results.map { "`\($0.defsName)`" }.joined(separator: ", ") + ".")
    }
    return lines
  }

  func clientMethod(_ routine: EmitRoutine, isAsync: Bool) -> SwiftFunction {
    var parameters = routine.parameters.map { SwiftFunction.Parameter(name: $0.swiftName, type: $0.shape.swiftType) }
    for value in [routine.waitTimeArgument, routine.msgOptionArgument].compactMap(\.self) {
      parameters.append(.init(name: value.swiftName, type: value.scalar.swiftName))
    }
    let defaultOptions = routine.waitTimeMilliseconds.map { "HurdRPC.CallOptions(timeout: .milliseconds(\($0)))" } ?? ".default"
    parameters.append(.init(name: "options", type: "HurdRPC.CallOptions", defaultValue: defaultOptions))
    let arguments = routine.parameters.map { "\($0.swiftName.argumentLabel): \($0.swiftName)" }.joined(separator: ", ")
    let awaitKeyword = isAsync ? "await " : ""
    var body: [SwiftNode] = []
    // `waittime`/`msgoption` arguments and a `msgoption` statement adjust this call's options.
    if routine.waitTimeArgument != nil || routine.msgOptionArgument != nil || routine.msgOptionBits != nil {
      let wait = routine.waitTimeArgument.map { "Swift.Int64(clamping: \($0.swiftName))" } ?? "nil"
      let bits = routine.msgOptionArgument.map { "Swift.UInt32(truncatingIfNeeded: \($0.swiftName))" }
        ?? String(routine.msgOptionBits ?? 0)
      let statement = routine.waitTimeArgument == nil && routine.msgOptionBits != nil
        ? routine.waitTimeMilliseconds.map { ", waitTimeStatement: \($0)" } ?? "" : ""
      body.append(
        .line(
          "let options = try HurdRPC.GeneratedWire.callOptions(options, waitTimeMilliseconds: \(wait)\(statement), machOptions: \(bits))"))
    }
    let encode = "try \(namespace).Wire.encode\(routine.typeName)Request(\(arguments))"
    if routine.isOneWay {
      body.append(.line("let request = \(encode)"))
      body.append(.line("try \(awaitKeyword)rpc.send(request, options: options)"))
    } else if isAsync {
      body.append(.line("let request = \(encode)"))
      body.append(.line("let reply = try await rpc.call(request, options: options)"))
    } else {
      // In place: a `Message` returned or read through a borrowed value costs a 512-byte copy
      // at each call boundary (docs/performance.md, "Message copies pass").
      body.append(.line("var request = \(encode)"))
      body.append(.line("var reply = HurdRPC.Message(label: 0)"))
      body.append(.line("try rpc.call(&request, reply: &reply, options: options)"))
    }
    if !routine.isOneWay {
      body.append(.line((resultType(routine) == nil ? "" : "return ") + "try \(namespace).Wire.decode\(routine.typeName)Reply(reply)"))
    }
    return SwiftFunction(
      documentation: documentation(routine, isAsync: isAsync, server: false), modifiers: access.isEmpty ? [] : [access.trimmed],
      name: routine.swiftName, parameters: parameters, isAsync: isAsync, thrownType: "HurdRPC.RPCError",
      returnType: resultType(routine), body: body)
  }

  // MARK: - Server

  func serverRequirement(_ routine: EmitRoutine, body: [SwiftNode]?, modifiers: [String]) -> SwiftFunction {
    var parameters = [SwiftFunction.Parameter(label: "_", name: "target", type: routine.target.serverParameterType)]
    if let port = routine.serverReplyPort {
      parameters.append(.init(name: port.swiftName, type: replyPortType(routine)))
    }
    parameters += routine.parameters.map { SwiftFunction.Parameter(name: $0.swiftName, type: $0.serverParameterType) }
    if let sequence = routine.sequenceNumber {
      parameters.append(.init(name: sequence.swiftName, type: sequence.scalar.swiftName))
    }
    parameters.append(.init(name: "context", type: "HurdRPC.CallContext"))
    return SwiftFunction(
      documentation: documentation(routine, isAsync: false, server: true), modifiers: modifiers, name: routine.swiftName,
      parameters: parameters, thrownType: "HurdRPC.ReturnCode", returnType: serverResultType(routine), body: body)
  }

  /// `HurdRPC.ServerReplyPort<…>` of the handler's results, as the server protocol names them
  /// (`Self.…`) or, with `inDemux`, as its demux does (`Server.…`).
  func replyPortType(_ routine: EmitRoutine, inDemux: Bool = false) -> String {
    "HurdRPC.ServerReplyPort<\(handlerResultType(routine, inDemux: inDemux) ?? "Swift.Void")>"
  }

  func handlerResultType(_ routine: EmitRoutine, inDemux: Bool) -> String? {
    guard let type = serverResultType(routine) else { return nil }
    return inDemux ? type.replacing("Self.", with: "Server.") : type
  }

  /// The results the reply carries, from the handler's value `handled` (`outtran` applied).
  func wireResults(_ routine: EmitRoutine, from handled: String) -> String {
    func wireValue(_ value: EmitValue, _ handled: String) -> String {
      value.translation?.outTran.map { "try server.\($0)(\(handled), context: context)" } ?? handled
    }
    if routine.results.count == 1 { return wireValue(routine.results[0], handled) }
    let fields = routine.results.map {
      "\($0.swiftName.argumentLabel): \(wireValue($0, "\(handled).\($0.swiftName.trimmingBackticks)"))"
    }
    return "\(resultType(routine)!)(\(fields.joined(separator: ", ")))"
  }

  /// `let <port> = HurdRPC.ServerReplyPort<…>(deferral: deferral, context: context) { … }`: the handler's reply
  /// port, whose encoder marshals the handler's results as the immediate reply would.
  func replyPortDeclaration(_ routine: EmitRoutine, _ port: ServerReplyPortValue) -> SwiftNode {
    let encoder = "\(namespace).Wire.encode\(routine.typeName)Reply"
    let signature = "throws(HurdRPC.RPCError) in"
    let portType = replyPortType(routine, inDemux: true)
    guard let handlerResults = handlerResultType(routine, inDemux: true), let wire = resultType(routine) else {
      return .block(
        opening: "let \(port.swiftName) = \(portType)(deferral: deferral, context: context) { (_: Swift.Void, reply: inout HurdRPC.Message) \(signature)",
        body: [.line("try \(encoder)(into: &reply)")], closing: "}")
    }
    guard hasTranslatedResults(routine) else {
      return .block(
        opening: "let \(port.swiftName) = \(portType)(deferral: deferral, context: context) { (results: \(handlerResults), reply: inout HurdRPC.Message) \(signature)",
        body: [.line("try \(encoder)(results, into: &reply)")], closing: "}")
    }
    return .block(
      opening:
        "let \(port.swiftName) = \(portType)(deferral: deferral, context: context) { [server] (results: \(handlerResults), reply: inout HurdRPC.Message) \(signature)",
      body: [
        .line("let wire: \(wire)"),
        .typedDoCatch(
          thrownType: "HurdRPC.ReturnCode", body: [.line("wire = \(wireResults(routine, from: "results"))")],
          handler: [.line("throw HurdRPC.RPCError(.returnCode(error))")]),
        .line("try \(encoder)(wire, into: &reply)"),
      ], closing: "}")
  }

  /// Whether the handler's results differ from the wire's (an `outtran` applies).
  func hasTranslatedResults(_ routine: EmitRoutine) -> Bool {
    routine.results.contains { $0.translation?.outTran != nil }
  }

  /// What the handler returns: the client's result type, or with `outtran` results the server's
  /// types (a labelled tuple when there are several).
  func serverResultType(_ routine: EmitRoutine) -> String? {
    guard hasTranslatedResults(routine) else { return resultType(routine) }
    if routine.results.count == 1 { return routine.results[0].serverResultType }
    return "(" + routine.results.map { "\($0.swiftName.trimmingBackticks): \($0.serverResultType)" }.joined(separator: ", ") + ")"
  }

  /// The translation hooks and associated types the server protocol requires, deduplicated, in
  /// first-use order.
  func translationRequirements() -> [SwiftNode] {
    var associatedTypes: [String] = []
    var typeDocs: [String: String] = [:]
    var hooks: [SwiftNode] = []
    var seenHooks = Set<String>()
    func add(_ key: String, _ function: SwiftFunction) {
      guard seenHooks.insert(key).inserted else { return }
      hooks += [.function(function), .blank]
    }
    let context = SwiftFunction.Parameter(name: "context", type: "HurdRPC.CallContext")
    for routine in supported {
      // The target first (the request port is the first argument GNU MIG translates).
      let targetValue = routine.target.translation.map {
        (translation: $0, wire: "Self.Target", serverParameterType: routine.target.serverParameterType)
      }
      let values = routine.parameters + routine.results
      for (translation, wire, serverParameterType) in [targetValue].compactMap(\.self) + values.compactMap({ value in
        value.translation.map { (translation: $0, wire: value.shape.swiftType, serverParameterType: value.serverParameterType) }
      }) {
        let server = "Self.\(translation.serverType)"
        if (translation.inTran != nil || translation.outTran != nil), typeDocs[translation.serverType] == nil {
          associatedTypes.append(translation.serverType)
          typeDocs[translation.serverType] = translation.defsServerType
        }
        if let hook = translation.inTran, let defs = translation.defsInTran {
          add(
            "in \(hook) \(wire) \(server)",
            SwiftFunction(
              documentation: [
                "`intran: \(translation.defsServerType) \(defs)(…)`: turns the `\(wire)` a request carries into the",
                "server's value before the handler runs. A thrown code is the reply's return code; no handler runs.",
              ], name: hook, parameters: [.init(label: "_", name: "value", type: wire), context],
              thrownType: "HurdRPC.ReturnCode", returnType: server, body: nil))
        }
        if let hook = translation.outTran, let defs = translation.defsOutTran {
          add(
            "out \(hook) \(server) \(wire)",
            SwiftFunction(
              documentation: [
                "`outtran: … \(defs)(\(translation.defsServerType))`: turns the handler's value into the `\(wire)`",
                "the reply carries. A thrown code is the reply's return code.",
              ], name: hook, parameters: [.init(label: "_", name: "value", type: server), context],
              thrownType: "HurdRPC.ReturnCode", returnType: wire, body: nil))
        }
        if let hook = translation.destructor, let defs = translation.defsDestructor {
          let type = serverParameterType
          add(
            "destructor \(hook) \(type)",
            SwiftFunction(
              documentation: [
                "`destructor: \(defs)(…)`: called on the value the handler received once it has returned,",
                "whatever it returned (as GNU MIG does).",
              ], name: hook, parameters: [.init(label: "_", name: "value", type: type)], body: nil))
        }
      }
    }
    guard !associatedTypes.isEmpty || !hooks.isEmpty else { return [] }
    var nodes: [SwiftNode] = [.blank, .comment(["Translations (`intran`, `outtran`, `destructor`) the server supplies."])]
    for name in associatedTypes {
      nodes += [.doc(["The server's type for `.defs` `\(typeDocs[name]!)` values."]), .line("associatedtype \(name)")]
    }
    return nodes + [.blank] + hooks
  }

  func serverDeclarations() -> [SwiftNode] {
    let modifiers = access.isEmpty ? [] : [access.trimmed]
    let targetRequirements: [SwiftNode] = [
      .doc([
        "The object a request is addressed to: what the capability the client invoked names (the",
        "request port). `Void` (the default) for a server that is its only object.",
      ]),
      .line("associatedtype Target = Swift.Void"),
      .blank,
      .doc([
        "The object `context`'s request is addressed to, found after the request was validated and",
        "before its handler runs. A thrown code is the reply's return code; no handler runs. Supplied",
        "for `Target == Void` and for targets the capability layer finds (`HurdRPC.CapabilityTarget`).",
      ]),
      .function(
        SwiftFunction(
          name: "target", parameters: [.init(label: "for", name: "context", type: "HurdRPC.CallContext")],
          thrownType: "HurdRPC.ReturnCode", returnType: "Target", body: nil)),
      .blank,
    ]
    let requirements: [SwiftNode] =
      targetRequirements + translationRequirements() + [.blank]
      + supported.flatMap { [SwiftNode.function(serverRequirement($0, body: nil, modifiers: [])), .blank] }
    let defaults: [SwiftNode] = supported.flatMap {
      [SwiftNode.function(serverRequirement($0, body: [.line("throw .EOPNOTSUPP")], modifiers: modifiers)), .blank]
    }
    let hasSequence = supported.contains { $0.sequenceNumber != nil }
    let badID = "throw HurdRPC.RPCError(.badID, \"no routine with id \\(request.label) in subsystem \(subsystemName)\")"
    let hasReplyPort = supported.contains { $0.serverReplyPort != nil }
    /// An entry point's body: the one dispatch switch (`serve`), given how this entry point finds
    /// the target (a closure `serve` calls once the request is valid) and the deferral it offers.
    func entryBody(resolvingTarget: Bool, deferral: String = "nil") -> [SwiftNode] {
      guard !supported.isEmpty else { return [.line(badID)] }
      let call = "try serve(request, reply: &reply, context: context" + (hasReplyPort ? ", deferral: \(deferral))" : ")")
      guard resolvingTarget else { return [.line(call + " { target }")] }
      return [
        // The closure captures `server`, not the demux: capturing a generic struct's `self` costs a
        // metadata lookup per call in the unspecialised demux (~60 instructions).
        .block(
          opening: call + " { [server] () throws(HurdRPC.RPCError) in", body: [.line("try Self.target(of: server, for: context)")],
          closing: "}")
      ]
    }
    /// `serve`'s switch: the routine, its request decoded (validated), then the routine's function
    /// with the target (`target()`, evaluated after the decoding).
    func switchBody() -> [SwiftNode] {
      var body: [SwiftNode] = []
      // Every request counts, malformed ones too, as Mach numbers every message it dequeues.
      if hasSequence { body.append(.line("let sequenceNumber = sequence.next()")) }
      body.append(
        .block(
          opening: "switch try routine(of: request) {",
          body: supported.map { routine in
            let names = routine.parameters.map(\.swiftName)
            let decode = "try \(namespace).Wire.decode\(routine.typeName)Request(request)"
            var lines: [SwiftNode] = []
            switch names.count {
            case 0: lines.append(.line(decode))
            case 1: lines.append(.line("let \(names[0]) = \(decode)"))
            default: lines.append(.line("let (\(names.joined(separator: ", "))) = \(decode)"))
            }
            let arguments =
              routine.parameters.map { "\($0.swiftName.argumentLabel): \($0.swiftName)" } + ["reply: &reply", "target: target()"]
              + (routine.sequenceNumber == nil ? [] : ["sequenceNumber: sequenceNumber"]) + ["context: context"]
              + (routine.serverReplyPort == nil ? [] : ["deferral: deferral"])
            lines.append(.line("try \(routine.swiftName)(\(arguments.joined(separator: ", ")))"))
            return .caseLabel("case .\(routine.swiftName):", body: lines)
          },
          closing: "}"))
      return body
    }
    var demuxBody: [SwiftNode] = [
      .doc(["The handlers every valid request goes to."]),
      .line("\(access)let server: Server"),
      .blank,
    ]
    if hasSequence {
      demuxBody += [
        .doc(["Numbers the requests this demux receives (`msgseqno`), from 0."]),
        .line("let sequence = HurdRPC.GeneratedWire.RequestSequence()"),
        .blank,
      ]
    }
    demuxBody += [
      .doc(["A demultiplexer that hands valid requests to `server`."]),
      .line("\(access)init(_ server: Server) { self.server = server }"),
      .blank,
      .doc([
        "Looks the request up in `\(namespace).routineTable`, validates it completely (word count, every",
        "item's kind and bounds), finds its target with `server.target(for:)` and only then calls the",
        "server; the reply is built in place.",
      ]),
      .function(
        SwiftFunction(
          modifiers: access.isEmpty ? [] : [access.trimmed], name: "dispatch", parameters: entryParameters(target: false),
          thrownType: "HurdRPC.RPCError", body: entryBody(resolvingTarget: true))),
      .blank,
      .doc([
        "The same for a request whose target object is already known (the capability layer looked it",
        "up): the handlers receive `target`; `server.target(for:)` is not called.",
      ]),
      .function(
        SwiftFunction(
          modifiers: access.isEmpty ? [] : [access.trimmed], name: "dispatch", parameters: entryParameters(target: true),
          thrownType: "HurdRPC.RPCError", body: entryBody(resolvingTarget: false))),
      .blank,
    ]
    if hasReplyPort {
      demuxBody += [
        .doc([
          "The same, from a layer that can keep a call open after its handler returned (a capability",
          "bucket): the `sreplyport` handlers' `ServerReplyPort` can defer the reply through `deferral`.",
        ]),
        .function(
          SwiftFunction(
            modifiers: access.isEmpty ? [] : [access.trimmed], name: "dispatch",
            parameters: entryParameters(target: true) + [.init(name: "deferral", type: "some HurdRPC.ReplyDeferral")],
            thrownType: "HurdRPC.RPCError", body: entryBody(resolvingTarget: false, deferral: "deferral"))),
        .blank,
      ]
    }
    // Without routines every entry point answers bad id at once, and `Routine` has no cases: a
    // lookup returning one could not compile.
    if !supported.isEmpty {
      var serveParameters = entryParameters(target: false)
      if hasReplyPort { serveParameters.append(.init(name: "deferral", type: "(any HurdRPC.ReplyDeferral)?")) }
      serveParameters.append(.init(name: "target", type: "() throws(HurdRPC.RPCError) -> Server.Target"))
      demuxBody += [
        .doc([
          "The dispatch switch of every entry point: looks the request's routine up, validates and decodes",
          "the request, and only then asks `target()` for the object it is addressed to and hands both to",
          "the routine's function.",
        ]),
        .function(
          SwiftFunction(
            modifiers: ["private"], name: "serve", parameters: serveParameters, thrownType: "HurdRPC.RPCError",
            body: switchBody())),
        .blank,
      ]
      demuxBody += lookupFunctions(badID: badID)
    }
    for routine in supported {
      demuxBody += [.blank, .function(demuxFunction(routine))]
    }
    return [
      .doc([
        "Server of subsystem `\(subsystemName)`: one requirement per routine. A handler returns its results or",
        "throws a return code, which the client receives as `RPCError.Code.returnCode`.",
      ]),
      .block(opening: "\(access)protocol \(namespace)Server: Swift.Sendable {", body: requirements, closing: "}"),
      .blank,
      .doc([
        "Opt-in defaults: a server conforming to this protocol answers `EOPNOTSUPP` (operation not",
        "supported) for every routine it does not implement.",
      ]),
      .line("\(access)protocol \(namespace)ServerDefaults: \(namespace)Server {}"),
      .blank,
      .block(
        opening: "extension \(namespace)Server where Target == Swift.Void {", body: [
          .doc(["A server that is its only object: every request is addressed to the server itself."]),
          .line("\(access)func target(for context: HurdRPC.CallContext) {}"),
        ], closing: "}"),
      .blank,
      .block(
        opening: "extension \(namespace)Server where Target: HurdRPC.CapabilityTarget {", body: [
          .doc([
            "Objects the capability layer finds (a `CapObject`): a bucket hands each request's object to",
            "the demux, which then never asks for it. Served without a bucket there is no object to find:",
            "every request answers `kernInvalidCapability`, no handler runs.",
          ]),
          .function(
            SwiftFunction(
              modifiers: modifiers, name: "target",
              parameters: [.init(label: "for", name: "context", type: "HurdRPC.CallContext")],
              thrownType: "HurdRPC.ReturnCode", returnType: "Target", body: [.line("throw .kernInvalidCapability")])),
        ], closing: "}"),
      .blank,
      .block(opening: "extension \(namespace)ServerDefaults {", body: defaults, closing: "}"),
      .blank,
      .doc([
        "The demultiplexer of subsystem `\(subsystemName)` for a receive loop",
        "(`HurdRPC.RequestDispatcher(\(namespace)Demux(server))`).",
      ]),
      .block(
        opening: "\(access)struct \(namespace)Demux<Server: \(namespace)Server>: HurdRPC.TargetedDemultiplexer {", body: demuxBody,
        closing: "}"),
    ]
  }

  /// The demux's `routine(of:)` (slot lookup) and `target(for:)` (the server's, its code as the
  /// reply's) helpers.
  func lookupFunctions(badID: String) -> [SwiftNode] {
    let lookupBody: [SwiftNode] = [
      .line("let slot = request.label &- \(namespace).base"),
      .block(
        opening:
          "guard slot < Swift.UInt64(\(namespace).routineTable.count),\n  let routine = \(namespace).routineTable[Swift.Int(slot)]\nelse {",
        body: [.line(badID)], closing: "}"),
      .line("return routine"),
    ]
    return [
      .doc(["The routine of slot `id - base`; `.badID` for an id outside the table, a `skip` hole or a routine not generated."]),
      .function(
        SwiftFunction(
          modifiers: ["private"], name: "routine",
          parameters: [.init(label: "of", name: "request", type: "borrowing HurdRPC.Message")],
          thrownType: "HurdRPC.RPCError", returnType: "\(namespace).Routine", body: lookupBody)),
      .blank,
      .doc(["`server.target(for:)`, its thrown code as the reply's return code."]),
      .function(
        SwiftFunction(
          modifiers: ["private", "static"], name: "target",
          parameters: [
            .init(label: "of", name: "server", type: "Server"), .init(label: "for", name: "context", type: "HurdRPC.CallContext"),
          ],
          thrownType: "HurdRPC.RPCError", returnType: "Server.Target",
          body: [
            .doCatch(
              body: [.line("return try server.target(for: context)")],
              handler: [.line("throw HurdRPC.RPCError(.returnCode(error))")])
          ])),
    ]
  }

  /// `(_ request:, reply:, [target:], context:)` of the demux's entry points.
  func entryParameters(target: Bool) -> [SwiftFunction.Parameter] {
    var parameters: [SwiftFunction.Parameter] = [
      .init(label: "_", name: "request", type: "borrowing HurdRPC.Message"),
      .init(name: "reply", type: "inout HurdRPC.Message"),
    ]
    if target { parameters.append(.init(name: "target", type: "Server.Target")) }
    parameters.append(.init(name: "context", type: "HurdRPC.CallContext"))
    return parameters
  }

  /// A routine's request, validated and decoded by `dispatch`, with its target: translations,
  /// the handler, the reply.
  func demuxFunction(_ routine: EmitRoutine) -> SwiftFunction {
    var body: [SwiftNode] = []
    // Translations: intran each parameter in order (its destructor deferred at once, so it runs
    // after the handler whatever happens, in reverse order), the handler, then outtran the results.
    var handling: [SwiftNode] = []
    var callArguments: [String] = []
    // The target is the first value GNU MIG translates (the request port comes first).
    if let translation = routine.target.translation {
      var local = "target"
      if let hook = translation.inTran {
        local = "target_translated"
        handling.append(.line("let \(local): Server.\(translation.serverType) = try server.\(hook)(target, context: context)"))
      }
      if let hook = translation.destructor {
        handling.append(.line("defer { server.\(hook)(\(local)) }"))
      }
      callArguments.append(local)
    } else {
      callArguments.append("target")
    }
    if let port = routine.serverReplyPort {
      body.append(replyPortDeclaration(routine, port))
      callArguments.append("\(port.swiftName.argumentLabel): \(port.swiftName)")
    }
    for value in routine.parameters {
      let label = value.swiftName.argumentLabel
      guard let translation = value.translation else {
        callArguments.append("\(label): \(value.swiftName)")
        continue
      }
      var local = value.swiftName
      if let hook = translation.inTran {
        local = "\(value.swiftName.trimmingBackticks)_translated"
        // Typed, because hooks of one name may differ only in the server type they return.
        handling.append(
          .line("let \(local): Server.\(translation.serverType) = try server.\(hook)(\(value.swiftName), context: context)"))
      }
      if let hook = translation.destructor {
        handling.append(.line("defer { server.\(hook)(\(local)) }"))
      }
      callArguments.append("\(label): \(local)")
    }
    if let sequence = routine.sequenceNumber {
      callArguments.append("\(sequence.swiftName.argumentLabel): \(sequence.scalar.swiftName)(truncatingIfNeeded: sequenceNumber)")
    }
    let call = "server.\(routine.swiftName)(" + (callArguments + ["context: context"]).joined(separator: ", ") + ")"
    let encodeReply: SwiftNode
    if let result = resultType(routine) {
      body.append(.line("let results: \(result)"))
      if hasTranslatedResults(routine) {
        handling.append(.line("let _handled = try \(call)"))
        handling.append(.line("results = \(wireResults(routine, from: "_handled"))"))
      } else {
        handling.append(.line("results = try \(call)"))
      }
      encodeReply = .line("try \(namespace).Wire.encode\(routine.typeName)Reply(results, into: &reply)")
    } else {
      handling.append(.line("try \(call)"))
      encodeReply = .line("try \(namespace).Wire.encode\(routine.typeName)Reply(into: &reply)")
    }
    body.append(.doCatch(body: handling, handler: [.line("throw HurdRPC.RPCError(.returnCode(error))")]))
    if !routine.isOneWay { body.append(encodeReply) }
    var parameters = routine.parameters.map { SwiftFunction.Parameter(name: $0.swiftName, type: $0.shape.swiftType) }
    parameters.append(.init(name: "reply", type: "inout HurdRPC.Message"))
    parameters.append(.init(name: "target", type: "Server.Target"))
    if routine.sequenceNumber != nil { parameters.append(.init(name: "sequenceNumber", type: "Swift.UInt64")) }
    parameters.append(.init(name: "context", type: "HurdRPC.CallContext"))
    if routine.serverReplyPort != nil { parameters.append(.init(name: "deferral", type: "(any HurdRPC.ReplyDeferral)?")) }
    return SwiftFunction(
      documentation: [routineSummary(routine)], modifiers: ["private"], name: routine.swiftName,
      parameters: parameters, thrownType: "HurdRPC.RPCError", body: body)
  }

  // MARK: - Codecs

  func codecDeclaration() -> SwiftNode {
    var body: [SwiftNode] = []
    for routine in supported {
      body += [.blank] + RoutineCodec(routine: routine, namespace: namespace).functions().flatMap { [SwiftNode.function($0), .blank] }
    }
    return .block(
      opening: "extension \(namespace) {", body: [
        .doc(["Encoders and decoders of every message, from the native L4 plan."]),
        // Module-internal (whatever the access level): the sides may be in other files of the
        // module, and tests and benchmarks may marshal without a transport.
        .block(opening: "enum Wire {", body: body, closing: "}"),
      ], closing: "}")
  }
}

extension SwiftFunction.Parameter {
  var renderedForInit: String { "\(name): \(type)" }
}

extension String {
  var trimmed: String { String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed()) }
}

extension EmitterOptions {
  /// Display paths for every buffer of `sourceMap`: the path relative to the first include root
  /// it is under (`mach/std_types.defs`), else its file name, so generated text never holds an
  /// absolute path. `mainFile` gets `mainDisplayPath`.
  public static func bufferPaths(
    _ sourceMap: SourceMap, mainFile: String, mainDisplayPath: String, includeRoots: [String]
  ) -> [BufferID: String] {
    var paths: [BufferID: String] = [:]
    for buffer in sourceMap.buffers {
      if buffer.path == mainFile {
        paths[buffer.id] = mainDisplayPath
        continue
      }
      let root = includeRoots.map { $0.hasSuffix("/") ? $0 : $0 + "/" }.first { buffer.path.hasPrefix($0) }
      paths[buffer.id] =
        root.map { String(buffer.path.dropFirst($0.count)) }
        ?? buffer.path.split(separator: "/").last.map(String.init) ?? buffer.path
    }
    return paths
  }
}
