import Foundation

/// The conformance oracle: runs the real GNU MIG on a `.defs` file and reads back, routine by routine,
/// the Mach message layout its generated C really has (docs/mach-oracle.md).
///
/// Two independent readings are taken of every message: GNU MIG's own size arithmetic (4- or 12-byte
/// descriptor, data rounded up to 4 bytes, out-of-line data as an 8-byte pointer, variable arrays at
/// their maximum, the descriptor values taken from MIG's templates), and the C compiler's layout of
/// MIG's `Request`/`Reply` structs. The plan reports the arithmetic, which must reproduce every size
/// MIG checks; where the compiler's layout disagrees, the routine is listed in `cLayoutMismatches`.
enum MIGOracle {
  static let migPath = "/usr/bin/x86_64-gnu-mig"
  static let gccPath = "/usr/bin/gcc"
  static let machIncludeDirectory = "/usr/include/x86_64-linux-gnu"
  /// The installed driver runs cpp with `-undef`; without these it silently builds a 32-bit ABI.
  static let generatedHeaderName = "MIGUser.h"
  static let targetDefines = ["-D__x86_64__", "-D__LP64__"]

  struct Result: Sendable {
    var plan: OraclePlan
    /// Places where the oracle's reading disagrees with a size GNU MIG itself wrote (its `msgh_size`
    /// checks and `_Static_assert(sizeof(Request) == N)`); empty when the oracle is sound.
    var problems: [String]
  }

  static func run(defs path: String, flags: [String]) throws(OracleError) -> Result {
    guard FileManager.default.fileExists(atPath: path) else { throw .missing("\(path) does not exist") }
    let work = FileManager.default.temporaryDirectory
      .appendingPathComponent("hurdidl-oracle-\(UUID().uuidString)")
    do {
      try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    } catch {
      throw .unexpectedOutput("cannot create \(work.path): \(error)")
    }
    defer { try? FileManager.default.removeItem(at: work) }

    let defsDirectory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    let migArguments =
      targetDefines + flags + [
        "-I\(defsDirectory)", "-I\(machIncludeDirectory)", "-user", "User.c", "-server", "Server.c",
        "-header", generatedHeaderName, "-list", "List.txt", path,
      ]
    let mig = try ToolRunner.run(migPath, migArguments, in: work, label: "mig")
    guard mig.status == 0 else {
      throw .toolFailed(
        command: "x86_64-gnu-mig " + migArguments.joined(separator: " "), status: mig.status,
        output: mig.standardOutput + mig.standardError)
    }
    let list = try parseList(try ToolRunner.readText(work.appendingPathComponent("List.txt")))
    let serverText = try ToolRunner.readText(work.appendingPathComponent("Server.c"))
    // `-list` is empty for an interface without routines, so the subsystem is read from the server
    // file too: its `/* Module name */` line and the demux's lower id bound, which is the base.
    let subsystem = try subsystemOfServer(serverText)
    var problems: [String] = []
    if !list.routines.isEmpty, (list.subsystem, list.base) != (subsystem.name, subsystem.base) {
      problems.append("-list says subsystem \(list.subsystem) \(list.base), Server.c \(subsystem.name) \(subsystem.base)")
    }
    let user: GeneratedCFile
    let server: GeneratedCFile
    do {
      user = try GeneratedCReader.read(try ToolRunner.readText(work.appendingPathComponent("User.c")))
      server = try GeneratedCReader.read(serverText)
    } catch let error as GeneratedCError {
      throw .unexpectedOutput("\(error)")
    } catch let error as OracleError {
      throw error
    } catch {
      throw .unexpectedOutput("\(error)")
    }

    var reader = PlanReader(user: user, server: server)
    for entry in list.routines { try reader.register(entry) }
    let kernelUser = user.includes.contains("#include <kern/ipc_mig.h>")
    let kernelServer = server.includes.contains("#include <ipc/ipc_port.h>")
    // The kernel is built with KERNEL defined (ports are pointers there); MACH_KERNEL would pull in
    // kernel-internal headers the probe does not need.
    let probeDefines = targetDefines + (kernelUser || kernelServer ? ["-DKERNEL"] : [])
    let (results, synthesized) = try reader.probe.run(
      in: work, includeDirectories: [defsDirectory, machIncludeDirectory], defines: probeDefines,
      synthesize: reader.synthesizedTypedef)
    let routines = try reader.assemble(results)
    let plan = OraclePlan(
      subsystem: subsystem, routines: routines, migFlags: flags,
      kernelUser: kernelUser, kernelServer: kernelServer, synthesizedCTypes: synthesized)
    return Result(plan: plan, problems: problems + reader.problems)
  }

  static func subsystemOfServer(_ text: String) throws(OracleError) -> OraclePlan.Subsystem {
    guard let module = text.range(of: "/* Module "),
      let bound = text.range(of: "(InP->msgh_id < ")
    else { throw .unexpectedOutput("Server.c names no module or has no demux id check") }
    let name = text[module.upperBound...].prefix { $0 != " " && $0 != "\n" }
    guard let base = Int(text[bound.upperBound...].prefix { $0.isNumber }) else {
      throw .unexpectedOutput("demux id bound in Server.c")
    }
    return OraclePlan.Subsystem(name: String(name), base: base)
  }

  struct ListEntry: Sendable {
    var name: String
    var index: Int
    var requestID: Int
    var replyID: Int
  }

  /// `-list` lines: subsystem, base, routine, index, request id, reply id (0 for simpleroutines).
  static func parseList(_ text: String) throws(OracleError) -> (
    subsystem: String, base: Int, routines: [ListEntry]
  ) {
    var subsystem = ""
    var base = 0
    var routines: [ListEntry] = []
    for line in text.split(separator: "\n") {
      let words = line.split(separator: " ").map(String.init)
      guard words.count == 6, let lineBase = Int(words[1]), let index = Int(words[3]),
        let request = Int(words[4]), let reply = Int(words[5])
      else { throw .unexpectedOutput("-list line: \(line)") }
      subsystem = words[0]
      base = lineBase
      routines.append(ListEntry(name: words[2], index: index, requestID: request, replyID: reply))
    }
    return (subsystem, base, routines)
  }
}
