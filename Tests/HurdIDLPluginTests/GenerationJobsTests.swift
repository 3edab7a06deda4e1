import Foundation
import Testing

/// The plugins' planning (Plugins/PluginsShared, linked into this target): which `.defs` are
/// inputs, which config applies, output names and declared dependencies. The plugins themselves
/// are exercised end to end by Scripts/test-plugin.sh.
@Suite struct GenerationJobsTests {
  /// A scratch package folder holding `files` (path → text).
  private func package(_ files: [String: String]) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hurdidl-plugin-\(UUID().uuidString)")
    for (name, text) in files {
      let file = url.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
      try text.write(to: file, atomically: true, encoding: .utf8)
    }
    return url
  }

  private func jobs(_ root: URL, target: String = "Sources/T") throws(PluginProblem) -> [GenerationJob] {
    let folder = root.appendingPathComponent(target)
    return try GenerationJobs.jobs(
      defsFiles: GenerationJobs.defsFiles(under: folder), targetDirectory: folder, searchLimit: root, targetName: "T")
  }

  @Test func sameFileNamesInTwoFoldersGetDistinctOutputs() throws {
    let root = try package(["Sources/T/a/hello.defs": "", "Sources/T/b/hello.defs": "", "Sources/T/io.defs": ""])
    let planned = try jobs(root)
    #expect(planned.map(\.displayPath) == ["a/hello.defs", "b/hello.defs", "io.defs"])
    #expect(planned.map(\.outputName) == ["a_hello.hurdidl.swift", "b_hello.hurdidl.swift", "io.hurdidl.swift"])
    #expect(planned.map(\.config) == [nil, nil, nil])
  }

  @Test func namesThatStillMeetAreAPluginError() throws {
    let root = try package([
      "Sources/T/a_b/c.defs": "", "Sources/T/a/b_c.defs": "", "Sources/T/x/c.defs": "", "Sources/T/y/b_c.defs": "",
    ])
    do {
      _ = try jobs(root)
      Issue.record("expected a collision error")
    } catch {
      #expect(error.description == "target 'T': a_b/c.defs and a/b_c.defs would both generate a_b_c.hurdidl.swift; rename one of them")
    }
  }

  @Test func theNearestConfigWinsAndItsIncludeFoldersAreDependenciesNotInputs() throws {
    let root = try package([
      "hurdidl.json": "{}",
      "Sources/T/top.defs": "",
      "Sources/T/sub/hurdidl.json": #"{"includePaths": ["inc", "../../../shared"]}"#,
      "Sources/T/sub/low.defs": "",
      "Sources/T/sub/inc/types.defs": "",
      "Sources/T/sub/inc/c.h": "",
      "Sources/T/sub/inc/notes.txt": "",
      "shared/more.defs": "",
    ])
    let planned = try jobs(root)
    #expect(planned.map(\.displayPath) == ["sub/low.defs", "top.defs"])
    let low = try #require(planned.first)
    #expect(low.config?.path == root.appendingPathComponent("Sources/T/sub/hurdidl.json").path)
    #expect(planned.last?.config?.path == root.appendingPathComponent("hurdidl.json").path)
    let dependencies = Set(low.dependencies.map { relative($0, to: root) })
    #expect(
      dependencies
        == [
          "Sources/T/top.defs", "Sources/T/sub/low.defs", "Sources/T/sub/inc/types.defs", "Sources/T/sub/inc/c.h",
          "shared/more.defs", "Sources/T/sub/hurdidl.json",
        ])
    let output = URL(fileURLWithPath: "/out/low.hurdidl.swift")
    #expect(
      low.arguments(output: output)
        == ["generate", low.input.path, "--output", "/out/low.hurdidl.swift", "--config", low.config?.path ?? ""])
  }

  /// Headers the C check reads are dependencies too, and a `.defs` among them is still an input
  /// (only `includePaths` hold include files).
  @Test func cHeaderFoldersAreDependencies() throws {
    let root = try package([
      "Sources/T/hurdidl.json": #"{"cCheck": true, "cIncludePaths": ["headers"]}"#,
      "Sources/T/io.defs": "",
      "Sources/T/headers/io.h": "",
      "Sources/T/headers/sys/types.h": "",
      "Sources/T/headers/more.defs": "",
    ])
    let planned = try jobs(root)
    #expect(planned.map(\.displayPath) == ["headers/more.defs", "io.defs"])
    let dependencies = Set(try #require(planned.last).dependencies.map { relative($0, to: root) })
    #expect(
      dependencies
        == [
          "Sources/T/io.defs", "Sources/T/headers/more.defs", "Sources/T/headers/io.h",
          "Sources/T/headers/sys/types.h", "Sources/T/hurdidl.json",
        ])
  }

  @Test func theConfigSearchStopsAtThePackageFolder() throws {
    let root = try package(["hurdidl.json": "{}", "pkg/Sources/T/x.defs": ""])
    let planned = try jobs(root.appendingPathComponent("pkg"))
    #expect(planned.map(\.config) == [nil])
  }

  private func relative(_ url: URL, to root: URL) -> String {
    String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
  }
}
