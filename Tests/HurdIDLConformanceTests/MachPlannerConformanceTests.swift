import Foundation
import HurdIDLCompiler
import HurdIDLPlanner
import HurdIDLPreprocessor
import HurdIDLSema
import HurdIDLSource
import Testing

/// Our whole pipeline (front end → sema → Mach planner) against the real GNU MIG, routine by
/// routine: every gnumach-dev interface under every flag set the oracle covers, every experiment GNU
/// MIG accepts, and the oracle's own fixtures. A single differing value fails the test.
@Suite struct MachPlannerConformanceTests {
  /// Routines whose generated C disagrees with GNU MIG's own size arithmetic (GNU MIG bugs, see
  /// docs/mach-oracle.md). The oracle's plan follows the arithmetic (the sizes GNU's stubs send and
  /// check), so these are compared like every other routine; the list only pins which they are.
  static let inconsistentInGNUMIG: [String: Set<String>] = [
    "mach/mach_host.defs": ["host_set_time", "host_adjust_time", "host_get_time"],
    "mach_debug/mach_debug.defs": ["mach_vm_region_info", "mach_vm_object_info", "host_slab_info"],
    "t4": ["va", "vo"],
    "t10": ["s"],
  ]

  /// Experiments GNU MIG accepts only through one of its bugs, which we refuse with a diagnostic on
  /// purpose (issue: bad input gets a diagnostic): `ie` declares `array[2-5]` (GNU wraps it to
  /// 4294967293 elements), `mi`/`mi2` include a file that does not exist (GNU's cpp failure is
  /// ignored and the interface silently truncated — `mi2` loses its routine). None of them has a
  /// routine in GNU MIG's output, so no plan is lost; the test checks that we name the problem.
  static let rejectedByDesign: [String: DiagnosticCode] = [
    "ie": "negative-size", "mi": "missing-include", "mi2": "missing-include",
  ]

  struct Case: CustomTestStringConvertible, Sendable {
    /// An interface path relative to the gnumach include directory, an experiment or a fixture name.
    var label: String
    var path: String
    var flagSet: String
    var flags: [String]
    var testDescription: String { "\(label) [\(flagSet)]" }
  }

  static let interfaceCases: [Case] = OracleCases.interfaces.flatMap { interface in
    OracleCases.flagSets.map {
      Case(
        label: interface.path, path: OracleCases.interfacePath(interface.path), flagSet: $0.name, flags: $0.flags)
    }
  }

  static let experimentCases: [Case] = OracleCases.experiments.map {
    Case(label: $0, path: OracleCases.experimentPath($0), flagSet: "default", flags: [])
  }

  static let fixtureCases: [Case] = OracleCases.ownFixtures.map {
    Case(label: $0.name, path: OracleCases.ownFixturePath($0.name), flagSet: $0.flagSet, flags: $0.flags)
  }

  /// The planner's own rule fixtures (Tests/HurdIDLPlannerTests/Inputs/mach), checked live against
  /// GNU MIG (no snapshots: the unit tests pin their numbers).
  static let plannerFixtureCases: [Case] = {
    let directory = OracleCases.testDirectory.deletingLastPathComponent()
      .appendingPathComponent("HurdIDLPlannerTests/Inputs/mach")
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
      .filter { $0.hasSuffix(".defs") }.sorted()
    return names.flatMap { name in
      let flagSets = name == "kernel.defs" ? OracleCases.flagSets.filter { $0.name != "seqnos" } : [("default", [])]
      return flagSets.map {
        Case(label: name, path: directory.appendingPathComponent(name).path, flagSet: $0.0, flags: $0.1)
      }
    }
  }()

  @Test(arguments: interfaceCases)
  func gnumachInterface(_ testCase: Case) async throws {
    try await compareWithGNUMIG(testCase)
  }

  @Test(arguments: experimentCases)
  func experiment(_ testCase: Case) async throws {
    try await compareWithGNUMIG(testCase)
  }

  @Test(arguments: fixtureCases)
  func ownFixture(_ testCase: Case) async throws {
    try await compareWithGNUMIG(testCase)
  }

  @Test func plannerFixturesAreFound() {
    #expect(Self.plannerFixtureCases.count >= 11)
  }

  @Test(arguments: plannerFixtureCases)
  func plannerFixture(_ testCase: Case) async throws {
    try await compareWithGNUMIG(testCase)
  }

  /// The routine counts of reference §6 hold for what we compared: 145 routines and 41
  /// simpleroutines under default flags.
  @Test func defaultFlagsCoverEveryGNUMachRoutine() throws {
    var kinds: [MachRoutineKind] = []
    for interface in OracleCases.interfaces {
      kinds += try Self.ourPlan(path: OracleCases.interfacePath(interface.path), flags: []).routines.map(\.kind)
    }
    #expect(kinds.count { $0 == .routine } == 145)
    #expect(kinds.count { $0 == .simpleroutine } == 41)
  }

  /// Beyond the normative keys: what the receiving stub checks (size, complex bit, and per item a
  /// whole-word or field-by-field descriptor check) matches GNU MIG's generated checks.
  @Test(
    arguments: interfaceCases + experimentCases.filter { rejectedByDesign[$0.label] == nil } + fixtureCases
      + plannerFixtureCases)
  func receiverChecks(_ testCase: Case) async throws {
    let expected = try await OracleCases.cache.result(defs: testCase.path, flags: testCase.flags).plan
    let actual = try Self.ourPlan(path: testCase.path, flags: testCase.flags)
    var differences: [String] = []
    for (oracle, ours) in zip(expected.routines, actual.routines) where oracle.name == ours.name {
      let messages: [(String, OracleMessage?, MachMessagePlan?)] = [
        ("request", oracle.request, ours.request), ("reply", oracle.reply, ours.reply),
      ]
      for case let (which, oracleMessage?, ourMessage?) in messages {
        let at = "routine \(oracle.name): \(which)"
        let check = oracleMessage.receiverCheck
        if check.size != ourMessage.size || check.sizeIsMinimum != ourMessage.sizeIsMinimum {
          differences.append("\(at): receiver size check \(check.size) \(check.sizeIsMinimum), ours \(ourMessage.size)")
        }
        // A user stub that expects a complex reply still lets GNU's 40-byte simple error reply
        // through, so it reads the bit into `msgh_simple` first: the oracle sees a run-time check.
        let expectedComplex: MachComplexity =
          which == "reply" && ourMessage.receiverComplex == .always ? .runtime : ourMessage.receiverComplex
        if check.complex != .unchecked, check.complex.rawValue != expectedComplex.rawValue {
          differences.append("\(at): receiver complex \(check.complex), ours \(ourMessage.receiverComplex)")
        }
        for (checked, item) in zip(check.items, ourMessage.items) {
          let ourMethod = item.receiverCheck.method.rawValue
          if checked.name != item.name || checked.method != ourMethod || checked.expect != item.receiverCheck.expect {
            differences.append(
              "\(at) item \(checked.name): GNU \(checked.method) \(checked.expect), ours \(item.name) \(ourMethod) \(item.receiverCheck.expect)"
            )
          }
        }
        if check.items.count != ourMessage.items.count {
          differences.append("\(at): GNU checks \(check.items.count) items, we have \(ourMessage.items.count)")
        }
      }
    }
    #expect(differences == [], "\(testCase.testDescription)")
  }

  /// The other extras the oracle reads: the maximum size, the header dispositions of requests, and
  /// per item the padded size and which descriptor fields the sender sets while sending.
  @Test(
    arguments: interfaceCases + experimentCases.filter { rejectedByDesign[$0.label] == nil } + fixtureCases
      + plannerFixtureCases)
  func extras(_ testCase: Case) async throws {
    let expected = try await OracleCases.cache.result(defs: testCase.path, flags: testCase.flags).plan
    let actual = try Self.ourPlan(path: testCase.path, flags: testCase.flags)
    #expect(expected.kernelUser == actual.kernelUser && expected.kernelServer == actual.kernelServer)
    var differences: [String] = []
    func disposition(_ value: RuntimeNumber?) -> String {
      switch value {
      case .value(let number)?: "\(number)"
      case .runtime?: "runtime"
      case nil: "none"
      }
    }
    func disposition(_ value: MachDisposition?) -> String {
      switch value {
      case .value(let number)?: "\(number)"
      case .runtime?: "runtime"
      case nil: "none"
      }
    }
    for (oracle, ours) in zip(expected.routines, actual.routines) where oracle.name == ours.name {
      if oracle.index != ours.index { differences.append("\(oracle.name): index \(oracle.index), ours \(ours.index)") }
      let messages: [(String, OracleMessage?, MachMessagePlan?)] = [
        ("request", oracle.request, ours.request), ("reply", oracle.reply, ours.reply),
      ]
      for case let (which, oracleMessage?, ourMessage?) in messages {
        let at = "routine \(oracle.name): \(which)"
        if oracleMessage.maximumSize != ourMessage.maximumSize {
          differences.append("\(at): maximumSize \(oracleMessage.maximumSize), ours \(ourMessage.maximumSize)")
        }
        let gnuBits = [disposition(oracleMessage.remoteDisposition), disposition(oracleMessage.localDisposition)]
        let ourBits = [disposition(ourMessage.remoteDisposition), disposition(ourMessage.localDisposition)]
        if gnuBits != ourBits { differences.append("\(at): MACH_MSGH_BITS \(gnuBits), ours \(ourBits)") }
        for (gnu, item) in zip(oracleMessage.items, ourMessage.items)
        where gnu.paddedDataSize != item.paddedDataSize || gnu.runtime != item.runtime {
          differences.append(
            "\(at) item \(gnu.name): padded \(gnu.paddedDataSize) \(gnu.runtime), ours \(item.paddedDataSize) \(item.runtime)")
        }
      }
    }
    #expect(differences == [], "\(testCase.testDescription)")
  }

  // MARK: - Helpers

  private func compareWithGNUMIG(_ testCase: Case) async throws {
    let oracle = try await OracleCases.cache.result(defs: testCase.path, flags: testCase.flags)
    try #require(oracle.problems == [], "the oracle itself is unsound here")
    let expected = oracle.plan.normative
    if let code = Self.rejectedByDesign[testCase.label] {
      let result = Self.runPipeline(path: testCase.path, flags: testCase.flags)
      #expect(result.errors.map(\.code) == [code], "\(testCase.testDescription): \(result.errors.map(\.message))")
      #expect(expected.routines.isEmpty, "GNU MIG's output has routines we would not plan")
      return
    }

    // Through JSON: the encoded plan must have the normative shape, not just equal values.
    let ours = try Self.ourPlan(path: testCase.path, flags: testCase.flags)
    let actual = try JSONDecoder().decode(NormativeMachPlan.self, from: try JSONEncoder().encode(ours))
    let differences = MachPlanComparison.differences(expected: expected, actual: actual)
    #expect(differences == [], "\(testCase.testDescription)")

    let inconsistent = Set(oracle.plan.routines.filter { !$0.cLayoutMismatches.isEmpty }.map(\.name))
    #expect(
      inconsistent == Self.inconsistentInGNUMIG[testCase.label] ?? [],
      "the routines where GNU MIG's C disagrees with its own arithmetic changed")
  }

  /// What our front end and sema say about one file, and the Mach plan when they found no error.
  struct PipelineResult {
    var errors: [Diagnostic]
    var plan: MachInterfacePlan?
  }

  /// Runs our front end (built-in preprocessor, the oracle's `-I` paths and flags), sema and the
  /// Mach planner on one file.
  static func runPipeline(path: String, flags: [String]) -> PipelineResult {
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var options = PreprocessorOptions(includePaths: [directory, OracleCases.machIncludeDirectory])
    options.commandLineMacros = flags.map { flag in
      flag.hasPrefix("-U") ? .undefine(String(flag.dropFirst(2))) : .define(String(flag.dropFirst(2)))
    }
    let front = FrontEnd.run(mainFile: path, options: options, resolver: DiskIncludeResolver())
    var errors = front.diagnostics.filter { $0.severity == .error }
    guard errors.isEmpty, let syntax = front.syntax else { return PipelineResult(errors: errors, plan: nil) }
    let sema = Sema.check(syntax)
    errors += sema.diagnostics.filter { $0.severity == .error }
    guard errors.isEmpty, let interface = sema.interface else { return PipelineResult(errors: errors, plan: nil) }
    return PipelineResult(errors: errors, plan: MachPlanner.plan(interface))
  }

  static func ourPlan(path: String, flags: [String]) throws -> MachInterfacePlan {
    let result = runPipeline(path: path, flags: flags)
    try #require(result.errors.isEmpty, "errors in \(path): \(result.errors.map(\.message))")
    return try #require(result.plan, "no Mach plan for \(path)")
  }
}

/// Reads includes from the real file system in GCC's search order.
struct DiskIncludeResolver: IncludeResolver {
  func resolve(name: String, isAngled: Bool, includer: String?, searchPaths: [String]) -> ResolvedFile? {
    for candidate in IncludeSearch.candidates(
      name: name, isAngled: isAngled, includer: includer, searchPaths: searchPaths)
    {
      if let data = FileManager.default.contents(atPath: candidate) {
        return ResolvedFile(path: candidate, bytes: [UInt8](data))
      }
    }
    return nil
  }
}
