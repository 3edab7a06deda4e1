import ArgumentParser
import Foundation
import Testing

@testable import HurdIDLCLI

/// The CLI exercised in-process: option parsing, exit statuses, output formats.
@Suite struct CLITests {
  static let gnumachInclude = "/usr/include/x86_64-linux-gnu"

  /// A scratch folder with the given files.
  private func folder(_ files: [String: String]) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hurdidl-cli-\(UUID().uuidString)")
    for (name, text) in files {
      let file = url.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
      try text.write(to: file, atomically: true, encoding: .utf8)
    }
    return url
  }

  private func check(_ arguments: [String]) throws -> (failed: Bool, console: Console) {
    let normalized = CompilerStyleArguments.normalize(["check"] + arguments)
    let command = try #require(try HurdIDLCommand.parseAsRoot(normalized) as? CheckCommand)
    var console = Console()
    let failed = command.execute(console: &console, arguments: ["hurdidl", "check"] + arguments)
    return (failed, console)
  }

  @Test func cleanFileSucceedsSilently() throws {
    let dir = try folder(["ok.defs": "subsystem ok 100;\ntype port = MACH_MSG_TYPE_COPY_SEND;\ntype int32 = MACH_MSG_TYPE_INTEGER_32;\nroutine r(p: port; x: int32);\n"])
    let (failed, console) = try check([dir.appendingPathComponent("ok.defs").path])
    #expect(!failed)
    #expect(console.standardError.isEmpty)
  }

  @Test func errorsFailWithGCCStyleLocations() throws {
    let dir = try folder(["bad.defs": "subsystem bad 100;\nroutine r(p: int)\nroutine s(p: int);\n"])
    let path = dir.appendingPathComponent("bad.defs").path
    let (failed, console) = try check([path])
    #expect(failed)
    // Like Clang, a missing ';' is reported right after the token it should follow.
    #expect(console.standardError.contains("\(path):2:18: error: "))
    #expect(console.standardError.contains("[missing-semicolon]"))
    #expect(console.standardError.contains("   2 | routine r(p: int)\n     |                  ^"))
  }

  @Test func jsonDiagnosticsAreOneObjectPerLine() throws {
    let dir = try folder(["bad.defs": "subsystem bad 100;\n@\n"])
    let path = dir.appendingPathComponent("bad.defs").path
    let (failed, console) = try check(["--diagnostics-format", "json", path])
    #expect(failed)
    let lines = console.standardError.split(separator: "\n")
    #expect(!lines.isEmpty)
    for line in lines {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      let position = object?["position"] as? [String: Any]
      #expect(position?["file"] as? String == path)
      #expect(position?["line"] as? Int == 2)
      #expect(object?["code"] as? String != nil)
    }
  }

  @Test func defineAndUndefineApplyInCommandLineOrder() throws {
    let text = "subsystem m 1;\n#ifdef X\n@\n#endif\n"
    let dir = try folder(["m.defs": text])
    let path = dir.appendingPathComponent("m.defs").path
    #expect(try check(["-DX", "-UX", path]).failed == false)
    #expect(try check(["-UX", "-D", "X", path]).failed == true)
  }

  @Test func defineValuesKeepSpacesQuotesAndSemicolons() throws {
    let dir = try folder(["m.defs": "subsystem m 1;\ntype port = MACH_MSG_TYPE_COPY_SEND;\ntype t = MACH_MSG_TYPE_INTEGER_32 HOOK\nroutine r(p: port; x: t);\n"])
    let path = dir.appendingPathComponent("m.defs").path
    #expect(try check(["-DHOOK=ctype: my_t;", path]).failed == false)
    #expect(try check([path]).failed == true)
  }

  @Test func imacrosBringsDefinitionsOnly() throws {
    let dir = try folder([
      "hooks.h": "#define HOOK ctype: my_t;\nthis text is dropped\n",
      "m.defs": "subsystem m 1;\ntype port = MACH_MSG_TYPE_COPY_SEND;\ntype t = MACH_MSG_TYPE_INTEGER_32 HOOK\nroutine r(p: port; x: t);\n",
    ])
    let (failed, console) = try check(["-imacros", dir.appendingPathComponent("hooks.h").path, dir.appendingPathComponent("m.defs").path])
    #expect(!failed, "\(console.standardError)")
  }

  @Test func missingIncludeIsAnErrorWithTheChain() throws {
    let dir = try folder([
      "top.defs": "subsystem top 1;\n#include \"mid.defs\"\n",
      "mid.defs": "\n#include <absent.defs>\n",
    ])
    let (failed, console) = try check([dir.appendingPathComponent("top.defs").path])
    #expect(failed)
    #expect(console.standardError.contains("In file included from \(dir.path)/top.defs:2:"))
    #expect(console.standardError.contains("mid.defs:2:10: error: "))
  }

  @Test func joinedCompilerStyleOptionsAreSplit() {
    #expect(
      CompilerStyleArguments.normalize(["check", "-DA=1 2", "-UB", "-I/x", "-D", "-DC", "--cpp", "-Dkeep", "f.defs"])
        == ["check", "-D", "A=1 2", "-U", "B", "-I", "/x", "-D", "-DC", "--cpp", "-Dkeep", "f.defs"])
  }

  @Test func valuesOfOptionsAreNeverSplit() {
    #expect(
      CompilerStyleArguments.normalize(["generate", "--c-define", "-DX", "--c-include", "-I/y", "-DZ", "f.defs"])
        == ["generate", "--c-define", "-DX", "--c-include", "-I/y", "-D", "Z", "f.defs"])
  }

  /// The normaliser's list of value-taking options must cover every option the commands define:
  /// a new option missing from it would have a value like `-DX` split into two arguments.
  @Test func everyValueTakingOptionIsKnownToTheNormaliser() throws {
    var options: Set<String> = []
    func collect(_ command: [String: Any]) {
      for argument in command["arguments"] as? [[String: Any]] ?? [] where argument["kind"] as? String == "option" {
        for name in argument["names"] as? [[String: Any]] ?? [] {
          guard let spelling = name["name"] as? String, let kind = name["kind"] as? String else { continue }
          options.insert(kind == "long" ? "--\(spelling)" : "-\(spelling)")
        }
      }
      for subcommand in command["subcommands"] as? [[String: Any]] ?? [] { collect(subcommand) }
    }
    let dump: String
    do {
      _ = try HurdIDLCommand.parseAsRoot(["--experimental-dump-help"])
      Issue.record("--experimental-dump-help must end parsing")
      return
    } catch {
      dump = HurdIDLCommand.fullMessage(for: error)
    }
    let json = try #require(try JSONSerialization.jsonObject(with: Data(dump.utf8)) as? [String: Any])
    collect(try #require(json["command"] as? [String: Any]))
    #expect(options.count > 10, "the help dump lists the commands' options")
    #expect(options.subtracting(CompilerStyleArguments.takesValue).isEmpty)
  }

  @Test func usageErrorsExitWith64() {
    do {
      _ = try HurdIDLCommand.parseAsRoot(["check"])
      Issue.record("a missing file argument must be a usage error")
    } catch {
      #expect(HurdIDLCommand.exitCode(for: error).rawValue == 64)
    }
    do {
      _ = try HurdIDLCommand.parseAsRoot(["check", "--no-such-option", "x.defs"])
      Issue.record("an unknown option must be a usage error")
    } catch {
      #expect(HurdIDLCommand.exitCode(for: error).rawValue == 64)
    }
  }

  @Test func preprocessPrintsTokensWithLineMarkers() throws {
    let dir = try folder(["p.defs": "#define N 4\nsubsystem p N;\n"])
    let path = dir.appendingPathComponent("p.defs").path
    let command = try #require(try HurdIDLCommand.parseAsRoot(["preprocess", path]) as? PreprocessCommand)
    var console = Console()
    #expect(!command.execute(console: &console, arguments: ["hurdidl", "preprocess", path]))
    #expect(console.standardOutput.contains("subsystem p 4;"))
    #expect(console.standardOutput.contains("\"\(path)\""))
  }

  @Test func dumpASTAsJSONNamesTheBuffers() throws {
    let dir = try folder(["d.defs": "subsystem d 7;\n"])
    let path = dir.appendingPathComponent("d.defs").path
    let command = try #require(try HurdIDLCommand.parseAsRoot(["dump", "ast", "--format", "json", path]) as? DumpASTCommand)
    var console = Console()
    #expect(try !command.execute(console: &console, arguments: []))
    let object = try JSONSerialization.jsonObject(with: Data(console.standardOutput.utf8)) as? [String: Any]
    #expect(object?["file"] as? String == path)
    #expect((object?["buffers"] as? [String])?.contains(path) == true)
    #expect(console.standardOutput.contains("\"subsystem\""))
  }

  @Test func semanticErrorsAreReportedAfterAClearFrontEnd() throws {
    let dir = try folder([
      "dup.defs": "subsystem d 1;\ntype port = MACH_MSG_TYPE_COPY_SEND;\nroutine r(p: port);\nroutine r(p: port);\n"
    ])
    let (failed, console) = try check([dir.appendingPathComponent("dup.defs").path])
    #expect(failed)
    #expect(console.standardError.contains("dup.defs:4:9: error: "))
    #expect(console.standardError.contains("[duplicate-routine]"))
    #expect(console.standardError.contains("dup.defs:3:9: note: "))
  }

  @Test func typeFragmentsCheckCleanlyButAnEmptyFileHasNoSubsystem() throws {
    let dir = try folder([
      "types.defs": "type port = MACH_MSG_TYPE_COPY_SEND;\n",
      "empty.defs": "\n",
    ])
    #expect(try check([dir.appendingPathComponent("types.defs").path]).failed == false)
    let empty = try check([dir.appendingPathComponent("empty.defs").path])
    #expect(empty.failed)
    #expect(empty.console.standardError.contains("[no-subsystem]"))
  }

  private func dump(_ arguments: [String]) throws -> [String: Any] {
    let parsed = try HurdIDLCommand.parseAsRoot(CompilerStyleArguments.normalize(["dump"] + arguments))
    var console = Console()
    switch parsed {
    case let command as DumpPlanCommand: #expect(try !command.execute(console: &console, arguments: []))
    case let command as DumpModelCommand: #expect(try !command.execute(console: &console, arguments: []))
    default: Issue.record("unexpected command \(parsed)")
    }
    return try #require(try JSONSerialization.jsonObject(with: Data(console.standardOutput.utf8)) as? [String: Any])
  }

  static let planInput = """
    subsystem demo 400;
    type port = MACH_MSG_TYPE_COPY_SEND;
    type int32 = MACH_MSG_TYPE_INTEGER_32;
    routine add(p: port; a: int32; b: int32; out sum: int32);
    skip;
    simpleroutine poke(p: port; a: int32);
    """

  @Test func dumpPlanMachHasTheNormativeShape() throws {
    let dir = try folder(["demo.defs": Self.planInput])
    let plan = try dump(["plan", "--wire", "mach", dir.appendingPathComponent("demo.defs").path])
    let subsystem = try #require(plan["subsystem"] as? [String: Any])
    #expect(subsystem["name"] as? String == "demo")
    #expect(subsystem["base"] as? Int == 400)
    let routines = try #require(plan["routines"] as? [[String: Any]])
    #expect(routines.map { $0["name"] as? String } == ["add", "poke"])
    #expect(routines.map { $0["requestID"] as? Int } == [400, 402])
    #expect(routines[0]["replyID"] as? Int == 500)
    #expect(routines[1]["replyID"] is NSNull)
    let request = try #require(routines[0]["request"] as? [String: Any])
    // Header 32 + two (descriptor 4 + int 4) items.
    #expect(request["size"] as? Int == 48)
    let items = try #require(request["items"] as? [[String: Any]])
    #expect(items.map { $0["name"] as? String } == ["a", "b"])
    #expect(items.map { $0["descriptorOffset"] as? Int } == [32, 40])
  }

  @Test func dumpPlanL4AndModelAreJSON() throws {
    let dir = try folder(["demo.defs": Self.planInput])
    let path = dir.appendingPathComponent("demo.defs").path
    let plan = try dump(["plan", "--wire", "l4", path])
    #expect((plan["routines"] as? [[String: Any]])?.count == 2)
    let model = try dump(["model", path])
    #expect(model["file"] as? String == path)
    let routines = try #require((model["model"] as? [String: Any])?["routines"] as? [[String: Any]])
    #expect(routines.map { $0["requestID"] as? Int } == [400, 402])
  }

  @Test func externalPreprocessorIsUsedAndItsFailureReported() throws {
    let dir = try folder(["e.defs": "subsystem e 1;\n#ifdef BAD\n@\n#endif\n"])
    let path = dir.appendingPathComponent("e.defs").path
    #expect(try check(["--cpp", "gcc -E -x c -undef -ansi", path]).failed == false)
    let withBad = try check(["--cpp", "gcc -E -x c -undef -ansi", "-DBAD", path])
    #expect(withBad.failed)
    #expect(withBad.console.standardError.contains("\(path):3:1: error:"))
    let broken = try check(["--cpp", "false", path])
    #expect(broken.failed)
    #expect(broken.console.standardError.contains("[external-preprocessor-failed]"))
  }

  /// Issue 2: every gnumach-dev `.defs` file goes through `hurdidl check` with zero diagnostics
  /// under each flag set (type-only files included; they are include fragments).
  @Test(arguments: [[], ["-D__x86_64__"], ["-DKERNEL_SERVER", "-D__x86_64__"], ["-DKERNEL_USER", "-D__x86_64__"], ["-DSEQNOS"]])
  func gnumachFilesCheckCleanly(flags: [String]) throws {
    let files = try Self.gnumachFiles()
    #expect(files.count == 25)
    let (failed, console) = try check(["-I", Self.gnumachInclude] + flags + files)
    #expect(!failed)
    #expect(console.standardError.isEmpty, "\(console.standardError)")
  }

  static func gnumachFiles() throws -> [String] {
    let root = URL(fileURLWithPath: gnumachInclude)
    var files: [String] = []
    for folder in ["mach", "device", "mach_debug"] {
      let base = root.appendingPathComponent(folder)
      guard let walker = FileManager.default.enumerator(atPath: base.path) else { continue }
      for case let relative as String in walker where relative.hasSuffix(".defs") {
        files.append(base.appendingPathComponent(relative).path)
      }
    }
    guard !files.isEmpty else {
      throw GnumachMissing()
    }
    return files.sorted()
  }

  struct GnumachMissing: Error, CustomStringConvertible {
    var description: String {
      "gnumach-dev is not installed (no .defs under \(CLITests.gnumachInclude)); run Scripts/test.sh, which installs it"
    }
  }
}
