import Foundation
import HurdIDLCompiler
import HurdIDLSema
import HurdIDLSource
import Testing

/// Conformance with the real GNU MIG: its `-v` output prints every type's descriptor facts
/// (names, size, count, inline, long form, deallocate, struct/array) and C names, and every
/// routine's arguments with their kinds and flags. The model, printed the same way
/// (``GNUVerbose``), must match it line for line for every gnumach interface under every flag set
/// and for every experiment both compilers accept.
@Suite struct GNUOracleTests {
  static let mig = "/usr/bin/x86_64-gnu-mig"
  static var hasMIG: Bool { FileManager.default.isExecutableFile(atPath: mig) }
  static let missingMIG = Comment(
    rawValue: "GNU MIG (\(mig), Debian package mig-x86-64-gnu) is not installed; run Scripts/test.sh (it installs it through Scripts/install-deps.sh)")

  struct Outcome {
    var status: Int32
    var output: String
    /// The user header and the server header GNU MIG wrote (empty after an error).
    var userHeader: String
    var serverHeader: String
    /// The user and server stubs (C).
    var userCode: String
    var serverCode: String
  }

  /// Runs GNU MIG with `-n -v` (no files written) in a scratch directory.
  static func runMIG(_ path: String, defines: [String]) throws -> Outcome {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hurdidl-oracle-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: mig)
    process.arguments =
      ["-v", "-user", "user.c", "-server", "server.c", "-header", "user.h", "-sheader", "server.h"]
      + ["-I" + Paths.gnuMach] + defines.map { "-D" + $0 } + [path]
    process.currentDirectoryURL = scratch
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    func read(_ name: String) -> String {
      (try? String(contentsOf: scratch.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }
    return Outcome(
      status: process.terminationStatus, output: String(decoding: data, as: UTF8.self),
      userHeader: read("user.h"), serverHeader: read("server.h"), userCode: read("user.c"),
      serverCode: read("server.c"))
  }

  /// For each function starting with `marker` + name: the items whose descriptor GNU checks with
  /// one word compare (`BAD_TYPECHECK(&…->xType, …)`), i.e. the quick-checked arguments.
  static func quickChecks(_ code: String, marker: String) -> [String: Set<String>] {
    var result: [String: Set<String>] = [:]
    for chunk in code.components(separatedBy: marker).dropFirst() {
      let name = String(chunk.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
      var checked: Set<String> = []
      for piece in chunk.components(separatedBy: "BAD_TYPECHECK").dropFirst() {
        guard let arrow = piece.range(of: "->") else { continue }
        let field = piece[arrow.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        if field.hasSuffix("Type") { checked.insert(String(field.dropLast(4))) }
      }
      result[name, default: []].formUnion(checked)
    }
    return result
  }

  /// The parameters of each `kern_return_t NAME(...)` prototype in a GNU MIG header: the names
  /// in order, `*` marking those passed by reference.
  static func prototypes(_ header: String) -> [String: [String]] {
    var result: [String: [String]] = [:]
    let lines = header.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var index = 0
    while index < lines.count {
      let line = lines[index]
      index += 1
      guard line.hasPrefix("kern_return_t "), index < lines.count, lines[index] == "(" else { continue }
      let name = String(line.dropFirst("kern_return_t ".count))
      var parameters: [String] = []
      index += 1
      while index < lines.count, lines[index] != ");" {
        let declaration = lines[index].trimmingCharacters(in: .whitespaces)
        index += 1
        guard var last = declaration.split(separator: " ").last.map(String.init) else { continue }
        if last.hasSuffix(",") { last.removeLast() }
        parameters.append(last)
      }
      result[name] = parameters
    }
    return result
  }

  static func checkAllTypes(_ path: String, defines: [String]) -> Checked {
    let front = FrontEnd.run(
      mainFile: path, options: preprocessorOptions(defines: defines), resolver: FixtureResolver())
    let options = SemaOptions(mainFileOf: front.sourceMap, listsIncludedTypes: true)
    return Checked(front: front, sema: front.syntax.map { Sema.check($0, options: options) })
  }

  /// Compares the blocks; returns a description of the first differences.
  static func compare(_ path: String, defines: [String]) throws -> (gnuAccepted: Bool, weAccepted: Bool, mismatches: [String]) {
    let gnu = try runMIG(path, defines: defines)
    let checked = checkAllTypes(path, defines: defines)
    guard gnu.status == 0, let model = checked.interface else {
      return (gnu.status == 0, checked.interface != nil, [])
    }
    let gnuBlocks = GNUVerbose.blocks(gnu.output)
    // GNU prints every type declaration as it parses it, `x: t = spec` argument types included;
    // compare them as multisets (a name can be declared globally and again in an argument).
    let argumentTypes = model.routines.flatMap { $0.arguments.filter { $0.type.origin == .argumentDeclaration } }
    let ourTypes = (model.types + argumentTypes.map(\.type)).map(GNUVerbose.type).sorted()
    let gnuTypes = gnuBlocks.filter { $0.hasPrefix("Type ") }.sorted()
    let gnuRoutines = gnuBlocks.filter { !$0.hasPrefix("Type ") }
    var mismatches: [String] = []
    if ourTypes != gnuTypes {
      let onlyGNU = gnuTypes.filter { !ourTypes.contains($0) }
      let onlyOurs = ourTypes.filter { !gnuTypes.contains($0) }
      mismatches.append(
        "types differ (\(gnuTypes.count) from GNU, \(ourTypes.count) from hurdidl)\nGNU only:\n"
          + onlyGNU.prefix(4).joined(separator: "\n") + "\nhurdidl only:\n" + onlyOurs.prefix(4).joined(separator: "\n"))
    }
    let ourRoutines = model.routines.map(GNUVerbose.routine)
    if ourRoutines.count != gnuRoutines.count {
      mismatches.append("GNU has \(gnuRoutines.count) routines, hurdidl \(ourRoutines.count)")
    }
    for (gnuRoutine, ours) in zip(gnuRoutines, ourRoutines) where gnuRoutine != ours {
      mismatches.append("GNU:\n\(gnuRoutine)\nhurdidl:\n\(ours)")
    }
    if let subsystem = model.subsystem {
      let line =
        "Subsystem \(subsystem.name): base = \(subsystem.base)" + (subsystem.isKernelUser ? ", KernelUser" : "")
        + (subsystem.isKernelServer ? ", KernelServer" : "")
      if !gnu.output.split(separator: "\n").contains(Substring(line)) {
        mismatches.append("GNU has no line '\(line)'")
      }
    }
    // Quick checks: the server checks request items, the user stub reply items.
    let serverChecks = quickChecks(gnu.serverCode, marker: "mig_internal void _X")
    let userChecks = quickChecks(gnu.userCode, marker: "mig_external kern_return_t ")
    for routine in model.routines {
      let request = Set(routine.requestItems.filter { $0.traits.contains(.requestQuickCheck) }.map(\.name))
      let reply = Set(routine.replyItems.filter { $0.traits.contains(.replyQuickCheck) }.map(\.name))
      if serverChecks[routine.name] != request {
        mismatches.append("request quick checks of \(routine.name): GNU \(serverChecks[routine.name] ?? []), hurdidl \(request)")
      }
      if (userChecks[routine.userName] ?? []) != reply {
        mismatches.append("reply quick checks of \(routine.userName): GNU \(userChecks[routine.userName] ?? []), hurdidl \(reply)")
      }
    }
    // Destruction after the server call: destructors and the deallocation of out-of-line
    // `array[]` data GNU generates exactly for the arguments with the `destroy` trait.
    var serverStubs: [String: String] = [:]
    for chunk in gnu.serverCode.components(separatedBy: "mig_internal void _X").dropFirst() {
      serverStubs[String(chunk.prefix { $0.isLetter || $0.isNumber || $0 == "_" })] = chunk
    }
    for routine in model.routines {
      guard let stub = serverStubs[routine.name] else {
        mismatches.append("no server stub for \(routine.name)")
        continue
      }
      // The server reads each request item through `In<position>P` (GNU's argRequestPos).
      for item in routine.requestItems {
        let pattern = #"In[0-9]+P->"# + item.name + "Type"
        guard let range = stub.range(of: pattern, options: .regularExpression) else { continue }
        let position = Int(stub[range].dropFirst(2).prefix { $0.isNumber })
        if position != item.requestPosition {
          mismatches.append("\(routine.name).\(item.name): GNU reads it at In\(position ?? -1)P, position \(item.requestPosition ?? -1)")
        }
      }
      for argument in routine.arguments where argument.origin == .written {
        let destroys = argument.traits.contains(.destroy)
        if let destructor = argument.type.destructor {
          // `f(x)` on a translated local, `f(In0P->x)` straight from the request.
          let called =
            stub.range(of: destructor + #"\((In[0-9]+P->)?"# + argument.name + #"\)"#, options: .regularExpression) != nil
          if called != destroys { mismatches.append("\(routine.name).\(argument.name): destructor called \(called)") }
        } else if argument.type.isIndefinite {
          let pattern = #"mig_deallocate\(\(vm_offset_t\) In[0-9]+P->"# + argument.name + "P,"
          let deallocated = stub.range(of: pattern, options: .regularExpression) != nil
          if deallocated != destroys {
            mismatches.append("\(routine.name).\(argument.name): out-of-line data deallocated \(deallocated)")
          }
        }
      }
    }
    // Message ids as the user stubs write and check them.
    var stubsWithIDs = 0
    for chunk in gnu.userCode.components(separatedBy: "mig_external kern_return_t ").dropFirst() {
      let name = String(chunk.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
      guard let routine = model.routines.first(where: { $0.userName == name }) else { continue }
      func number(after marker: String) -> UInt32? {
        guard let range = chunk.range(of: marker) else { return nil }
        return UInt32(chunk[range.upperBound...].prefix { $0.isNumber })
      }
      stubsWithIDs += 1
      let request = number(after: "InP->Head.msgh_id = ")
      let reply = number(after: "OutP->Head.msgh_id != ")
      if request != routine.requestID || reply != routine.replyID {
        mismatches.append(
          "ids of \(name): GNU \(request.map(String.init) ?? "-")/\(reply.map(String.init) ?? "-"), "
            + "hurdidl \(routine.requestID)/\(routine.replyID.map(String.init) ?? "-")")
      }
    }
    if stubsWithIDs != model.routines.count {
      mismatches.append("found \(stubsWithIDs) user stubs for \(model.routines.count) routines")
    }
    // The C prototypes show which arguments each side sees, in order, and which are pointers.
    let userPrototypes = prototypes(gnu.userHeader)
    let serverPrototypes = prototypes(gnu.serverHeader)
    for routine in model.routines {
      let user = routine.arguments.filter(\.isUserParameter).map { ($0.isByReferenceUser ? "*" : "") + $0.name }
      let server = routine.arguments.filter(\.isServerParameter).map { ($0.isByReferenceServer ? "*" : "") + $0.name }
      if userPrototypes[routine.userName] != user {
        mismatches.append("user \(routine.userName): GNU \(userPrototypes[routine.userName] ?? []), hurdidl \(user)")
      }
      if serverPrototypes[routine.serverName] != server {
        mismatches.append(
          "server \(routine.serverName): GNU \(serverPrototypes[routine.serverName] ?? []), hurdidl \(server)")
      }
    }
    return (true, true, mismatches)
  }

  @Test(arguments: GNUMachSemaTests.cases.filter { $0.subsystem != nil })
  func gnuMachInterfacesMatchGNU(_ testCase: GNUMachSemaTests.Case) throws {
    try #require(Self.hasMIG, Self.missingMIG)
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    for defines in GNUMachSemaTests.flagSets {
      let result = try Self.compare(Paths.gnuMach + "/" + testCase.path, defines: defines)
      #expect(result.gnuAccepted && result.weAccepted, "\(defines)")
      #expect(result.mismatches.isEmpty, "\(testCase.path) \(defines):\n\(result.mismatches.prefix(5).joined(separator: "\n\n"))")
    }
  }

  /// Experiments one compiler accepts and the other rejects, on purpose.
  static let acceptanceDifferences: [String: String] = [
    "hx.defs": "hexadecimal numbers are an hurdidl extension (GNU: syntax error)",
    "order.defs": "types before 'subsystem' are accepted with a warning (GNU: error)",
    "ie.defs": "'array[2-5]' is a negative size (GNU wraps it to 4294967293)",
    "mi.defs": "a missing #include is an error (GNU's cpp fails but MIG exits 0)",
    "mi2.defs": "a missing #include is an error (GNU silently drops the rest of the file)",
  ]

  @Test(arguments: ModelGoldenTests.cases)
  func experimentsMatchGNU(_ fixture: String) throws {
    try #require(Self.hasMIG, Self.missingMIG)
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let name = String(fixture.split(separator: "/").last ?? "")
    let path = Paths.fixtures.appendingPathComponent(fixture).path
    let result = try Self.compare(path, defines: ["__x86_64__", "__LP64__"])
    if let reason = Self.acceptanceDifferences[name] {
      #expect(result.gnuAccepted != result.weAccepted, "\(reason)")
    } else {
      #expect(result.gnuAccepted == result.weAccepted, "GNU accepts: \(result.gnuAccepted), hurdidl: \(result.weAccepted)")
    }
    #expect(result.mismatches.isEmpty, "\(name):\n\(result.mismatches.prefix(5).joined(separator: "\n\n"))")
  }

  /// Bad experiments whose verdict differs from GNU MIG's on purpose (reference §5).
  static let badVerdictDifferences: [String: String] = [
    "b03_dup_routine.defs": "duplicate routine names are an error (GNU generates two C functions)",
    "b06_type_before_subsystem.defs": "types before 'subsystem' are accepted with a warning",
    "b26_zero_array.defs": "zero-sized arrays are an error (GNU warns, then its C does not compile)",
    "b32_dup_arg_name.defs": "duplicate argument names are an error (GNU's C does not compile)",
    "b39_huge_subsys.defs": "a wrapping message-id counter is an error (GNU reuses ids)",
  ]

  /// GNU MIG and hurdidl agree on which semantic bad experiments are rejected, except on purpose.
  @Test(arguments: BadExperimentTests.expected.keys.sorted())
  func badExperimentVerdictsMatchGNU(_ name: String) throws {
    try #require(Self.hasMIG, Self.missingMIG)
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let path = Paths.fixtures.appendingPathComponent("bad/" + name).path
    let gnuRejects = try Self.runMIG(path, defines: ["__x86_64__", "__LP64__"]).status != 0
    let weReject = !checkFixture("bad/" + name).errors.isEmpty
    if let reason = Self.badVerdictDifferences[name] {
      #expect(gnuRejects != weReject, "\(reason)")
    } else {
      #expect(gnuRejects == weReject, "GNU rejects: \(gnuRejects), hurdidl: \(weReject)")
    }
  }
}
