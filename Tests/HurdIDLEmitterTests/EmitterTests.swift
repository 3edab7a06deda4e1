import Foundation
import HurdIDLEmitter
import HurdIDLPlanner
import HurdIDLSema
import Testing

/// Golden generated Swift. Regenerate with
/// `HURDIDL_UPDATE_GOLDENS=1 swift test --filter HurdIDLEmitterTests` and review the diff by eye.
@Suite("Swift emitter")
struct EmitterTests {
  static let goldens = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "Goldens")
  static var updating: Bool { ProcessInfo.processInfo.environment["HURDIDL_UPDATE_GOLDENS"] == "1" }

  static func compare(_ text: String, with url: URL) throws {
    if updating {
      try text.write(to: url, atomically: true, encoding: .utf8)
      return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    #expect(text == expected, "\(url.lastPathComponent) differs; regenerate with HURDIDL_UPDATE_GOLDENS=1")
  }

  enum Variant: String, CaseIterable, Sendable {
    case `default`, publicClient, packageServerDefsNames

    func configure(_ options: inout EmitterOptions) {
      switch self {
      case .default: break
      case .publicClient:
        options.server = false
        options.accessLevel = .public
      case .packageServerDefsNames:
        options.client = false
        options.accessLevel = .package
        options.naming = .defs
      }
    }
  }

  @Test(arguments: Variant.allCases)
  func roundTripGolden(_ variant: Variant) throws {
    let result = RoundTripFixture.compile(configure: variant.configure)
    let file = try #require(result.file, "\(result.errors)")
    #expect(file.fileName == "roundtrip.hurdidl.swift")
    #expect(file.diagnostics.isEmpty)
    try Self.compare(file.contents, with: Self.goldens.appending(path: "roundtrip-\(variant.rawValue).hurdidl.swift"))
  }

  @Test func kindsGolden() throws {
    let result = RoundTripFixture.compile("kinds")
    let file = try #require(result.file, "\(result.errors)")
    #expect(file.diagnostics.isEmpty, "\(file.diagnostics.map(\.message))")
    try Self.compare(file.contents, with: Self.goldens.appending(path: "kinds-default.hurdidl.swift"))
  }

  @Test func translationsGolden() throws {
    let result = RoundTripFixture.compile("translations")
    let file = try #require(result.file, "\(result.errors)")
    #expect(file.diagnostics.isEmpty, "\(file.diagnostics.map(\.message))")
    // Every hook is a requirement of the server protocol, each once, and the handlers see the
    // server's type.
    for declaration in [
      "associatedtype TicketObjT\n", "func lookupTicket(\n    _ value: Swift.Int32,", "func ticketNumber(\n    _ value: Self.TicketObjT,",
      "func releaseTicket(_ value: Self.TicketObjT)\n",
    ] {
      #expect(file.contents.components(separatedBy: declaration).count == 2, "\(declaration)")
    }
    #expect(file.contents.contains("func redeem(\n    _ target: Self.Target,\n    ticket: Self.TicketObjT,"))
    try Self.compare(file.contents, with: Self.goldens.appending(path: "translations-default.hurdidl.swift"))
  }

  /// The target object, msgseqno, and waittime/msgoption arguments (`objects.defs`).
  @Test func objectsGolden() throws {
    let result = RoundTripFixture.compile("objects")
    let file = try #require(result.file, "\(result.errors)")
    #expect(file.diagnostics.isEmpty, "\(file.diagnostics.map(\.message))")
    #expect(file.contents.contains("func whoami(\n    _ target: Self.Target,\n    seqno: Swift.Int32,\n    context: HurdRPC.CallContext"))
    #expect(file.contents.contains("func pause(\n    milliseconds: Swift.Int32,\n    timeout: Swift.Int32,\n    options: HurdRPC.CallOptions = .default"))
    try Self.compare(file.contents, with: Self.goldens.appending(path: "objects-default.hurdidl.swift"))
  }

  /// Port arguments of every disposition (`ports.defs`; the round trips need the capability layer).
  @Test func portsGolden() throws {
    let result = RoundTripFixture.compile("ports")
    let file = try #require(result.file, "\(result.errors)")
    #expect(file.diagnostics.isEmpty, "\(file.diagnostics.map(\.message))")
    try Self.compare(file.contents, with: Self.goldens.appending(path: "ports-default.hurdidl.swift"))
  }

  /// The request port's translation applies to the target object; what cannot be applied (an
  /// `intranpayload`) is never dropped silently: it is a warning.
  @Test func requestPortTranslationsApplyToTheTarget() throws {
    let result = DefsToSwift.compile(
      path: Self.inputs.appending(path: "target-translation.defs").path, displayPath: "target-translation.defs",
      includeRoot: Self.inputs.path)
    let file = try #require(result.file, "\(result.errors)")
    let messages = file.diagnostics.map(\.message)
    #expect(file.diagnostics.allSatisfy { $0.code == SwiftEmitter.unsupportedCode && $0.severity == .warning })
    #expect(messages.contains { $0.hasPrefix("routine 'touch': intranpayload 'handle_payload' of argument 'handle'") })
    #expect(messages.count == 1, "\(messages)")
    // The target: resolved, translated by the request port's intran, destroyed after the handler.
    #expect(file.contents.contains("try touch(handle: handle, reply: &reply, target: target(), context: context)"))
    #expect(file.contents.contains("let target_translated: Server.ObjectRefT = try server.beginUsing(target, context: context)"))
    #expect(file.contents.contains("defer { server.endUsing(target_translated) }"))
    #expect(file.contents.contains("func beginUsing(\n    _ value: Self.Target,"))
    #expect(file.contents.contains("func touch(\n    _ target: Self.ObjectRefT,"))
    // The argument's intran is applied too.
    #expect(file.contents.contains("let handle_translated: Server.HandleRefT = try server.lookupHandle(handle, context: context)"))
    // A client-only file has no handlers to translate for: no warnings.
    let client = DefsToSwift.compile(
      path: Self.inputs.appending(path: "target-translation.defs").path, displayPath: "target-translation.defs",
      includeRoot: Self.inputs.path, configure: { $0.server = false })
    #expect(client.file?.diagnostics.isEmpty == true)
  }

  static let inputs = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "Inputs")

  /// A request that cannot fit beside the capability id is not generated, with a warning that
  /// says why at the routine; one that fills the 62 registers exactly is generated.
  @Test func aRequestThatCannotFitBesideTheCapabilityIDIsDiagnosed() throws {
    let result = DefsToSwift.compile(
      path: Self.inputs.appending(path: "crowded.defs").path, displayPath: "crowded.defs", includeRoot: Self.inputs.path)
    let file = try #require(result.file, "\(result.errors)")
    let warning = try #require(file.diagnostics.first)
    #expect(file.diagnostics.count == 1)
    #expect(warning.code == SwiftEmitter.unsupportedCode && warning.severity == .warning)
    #expect(warning.location?.line == 16)
    #expect(
      warning.message
        == "routine 'too_full' is not generated: its request needs 65 message registers (capabilities cannot be packed "
        + "into a string); L4 has 63, one of which carries the capability id the call is invoked on")
    #expect(file.contents.contains("case full\n"))
    #expect(!file.contents.contains("case tooFull"))
  }

  /// Interfaces of gnumach-dev: generated with the defaults (client and server).
  @Test(arguments: ["mach/mach_port.defs", "device/device.defs", "mach/notify.defs"])
  func gnumachGolden(_ relative: String) throws {
    let result = DefsToSwift.compile(
      path: DefsToSwift.machIncludes + "/" + relative, displayPath: relative, includeRoot: DefsToSwift.machIncludes)
    let file = try #require(result.file, "\(result.errors)")
    let name = relative.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: ".defs", with: ".hurdidl.swift")
    try Self.compare(file.contents, with: Self.goldens.appending(path: name))
  }

  /// The MIG experiments GNU MIG accepts (the repository's copies, shared with the planner's
  /// goldens; docs/plans.md).
  static let experiments = URL(filePath: #filePath).deletingLastPathComponent()
    .appending(path: "../HurdIDLPlannerTests/Fixtures/semantics").standardized
  static let experimentNames: [String] =
    ((try? FileManager.default.contentsOfDirectory(atPath: experiments.path)) ?? []).filter { $0.hasSuffix(".defs") }.sorted()

  @Test func everyExperimentIsCovered() {
    #expect(Self.experimentNames.count >= 29)
  }

  /// Every valid MIG experiment: golden Swift (`Goldens/semantics/`), deterministic, no absolute
  /// path.
  @Test(arguments: experimentNames)
  func experimentGolden(_ name: String) throws {
    let path = Self.experiments.appending(path: name).path
    let result = DefsToSwift.compile(path: path, displayPath: name, includeRoot: Self.experiments.path)
    let file = try #require(result.file, "\(result.errors)")
    #expect(!file.contents.contains("/work/") && !file.contents.contains("/usr/"), "\(name)")
    #expect(DefsToSwift.compile(path: path, displayPath: name, includeRoot: Self.experiments.path).file == file, "\(name)")
    let golden = String(name.dropLast(".defs".count)) + ".hurdidl.swift"
    try Self.compare(file.contents, with: Self.goldens.appending(path: "semantics/" + golden))
  }

  @Test func generationIsDeterministic() {
    #expect(RoundTripFixture.generate() == RoundTripFixture.generate())
  }

  @Test func outputIsTwoSpaceLFWithOneTrailingNewline() throws {
    let text = try #require(RoundTripFixture.generate()).contents
    #expect(text.hasSuffix("}\n") && !text.hasSuffix("\n\n"))
    #expect(!text.contains("\r") && !text.contains("\t"))
    #expect(!text.contains("/work/") && text.contains("Generated by hurdidl from roundtrip.defs."))
    for line in text.split(separator: "\n") {
      let indentation = line.prefix { $0 == " " }.count
      #expect(indentation % 2 == 0, "odd indentation: \(line)")
      #expect(line.last != " ", "trailing space: \(line)")
    }
  }

  @Test func docCommentsNameIDsAndLocation() throws {
    let text = try #require(RoundTripFixture.generate()).contents
    #expect(text.contains("/// `add` — request 5000, reply 5100 (roundtrip.defs:12)."))
    #expect(text.contains("/// `poke` — request 5005, one-way (roundtrip.defs:28)."))
    #expect(text.contains("nil,  // 5006 skip"))
    #expect(text.contains("options: HurdRPC.CallOptions = HurdRPC.CallOptions(timeout: .milliseconds(500))"))
  }

  @Test func unsupportedRoutinesAreReportedAndLeftOutOfTheTable() throws {
    let interface = try #require(RoundTripFixture.interface)
    var plan = L4Planner.plan(interface)
    plan.routines[0].request.overflowBytes = 8
    let file = SwiftEmitter.generate(interface: interface, plan: plan, options: EmitterOptions(sourcePath: "x/roundtrip.defs"))
    #expect(file.diagnostics.count == 1)
    #expect(file.diagnostics.first?.code == SwiftEmitter.unsupportedCode)
    #expect(file.contents.contains("nil,  // 5000 add: not generated"))
    #expect(file.contents.contains("// `add` is not generated: an overflow string without its item."))
    #expect(!file.contents.contains("func add("))
  }
}

extension EmitterTests {
  /// Routines and arguments named like Swift keywords or like what the generated code declares
  /// itself; the round-trip target compiles this golden.
  @Test func collidingNamesAreRenamed() throws {
    let inputs = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "Inputs")
    let result = DefsToSwift.compile(
      path: inputs.appending(path: "clash.defs").path, displayPath: "clash.defs", includeRoot: inputs.path)
    let text = try #require(result.file, "\(result.errors)").contents
    #expect(text.contains("func dispatchRoutine(\n    optionsValue: Swift.Int32,\n    options: HurdRPC.CallOptions = .default"))
    #expect(text.contains("func rpcRoutine(\n    `switch`: Swift.Int32,\n    contextValue: Swift.Int32,"))
    #expect(text.contains("func `default`(\n    selfValue: Swift.Int32,\n    overflowValue: Swift.Int32,"))
    try Self.compare(text, with: Self.goldens.appending(path: "clash.hurdidl.swift"))
  }
}

@Suite("Swift naming")
struct NamingTests {
  @Test(arguments: [
    ("dir_lookup", "dirLookup"), ("io_read", "ioRead"), ("fs_get_id", "fsGetID"), ("_under_score", "underScore"),
    ("MACH_thing", "machThing"), ("in", "`in`"), ("default", "`default`"), ("already", "already"),
  ])
  func members(_ name: String, _ expected: String) {
    #expect(SwiftNaming(style: .swift).member(name) == expected)
  }

  @Test(arguments: [("fs", "FS"), ("io", "IO"), ("mach_port", "MachPort"), ("device", "Device"), ("vm_map", "VMMap")])
  func types(_ name: String, _ expected: String) {
    #expect(SwiftNaming(style: .swift).type(name) == expected)
  }

  @Test func defsStyleKeepsNames() {
    let naming = SwiftNaming(style: .defs)
    #expect(naming.member("dir_lookup") == "dir_lookup")
    #expect(naming.member("switch") == "`switch`")
    #expect(naming.type("fs") == "Fs")
  }
}

@Suite("Swift renderer")
struct RendererTests {
  @Test func blocksIndentByTwoAndBlankLinesCollapse() {
    let text = SwiftRenderer().render([
      .blank, .doc(["A type."]),
      .braces("struct A", [.blank, .line("let x = 1"), .blank, .blank, .line("let y = 2"), .blank]),
      .braces("switch x", []),
    ])
    #expect(text == "/// A type.\nstruct A {\n  let x = 1\n\n  let y = 2\n}\nswitch x {\n}\n")
  }

  @Test func longSignaturesWrapOneParameterPerLine() {
    let function = SwiftFunction(
      name: "veryLongFunctionName",
      parameters: (0..<6).map { .init(name: "parameterNumber\($0)", type: "Swift.Int32") },
      thrownType: "HurdRPC.RPCError", returnType: "Swift.Int32", body: [.line("0")])
    let text = SwiftRenderer().render([.function(function)])
    #expect(text.hasPrefix("func veryLongFunctionName(\n  parameterNumber0: Swift.Int32,\n"))
    #expect(text.contains("  parameterNumber5: Swift.Int32\n) throws(HurdRPC.RPCError) -> Swift.Int32 {\n  0\n}\n"))
  }
}

/// The planner tests' random `.defs` generator (shared source), through the whole pipeline.
@Suite("Swift emitter on random interfaces")
struct RandomInterfaceEmitterTests {
  @Test func randomInterfacesGenerateDeterministically() throws {
    let folder = FileManager.default.temporaryDirectory.appending(path: "hurdidl-random-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var generated = 0
    for seed in UInt64(1)...150 {
      var generator = RandomDefsGenerator(seed: seed)
      let path = folder.appending(path: "random\(seed).defs").path
      try generator.file().write(toFile: path, atomically: true, encoding: .utf8)
      let first = DefsToSwift.compile(path: path, displayPath: "random.defs", includeRoot: folder.path)
      guard let file = first.file else { continue }
      generated += 1
      #expect(!file.contents.contains(folder.path), "seed \(seed)")
      #expect(file.contents.hasSuffix("\n") && !file.contents.hasSuffix("\n\n"), "seed \(seed)")
      let second = DefsToSwift.compile(path: path, displayPath: "random.defs", includeRoot: folder.path)
      #expect(second.file == file, "seed \(seed)")
    }
    #expect(generated > 50)
  }
}
