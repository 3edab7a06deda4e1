import Foundation
import Testing

/// Every golden is compiled in the normal build: `Tests/HurdIDLCompiledGoldens*` (test targets
/// with the strict settings) hold a symlink to each golden, at the golden's path relative to
/// `Goldens/`. A module cannot declare one subsystem's names twice (`t7`, `t7u` and `t8` are all
/// subsystem `t7`), so the n-th golden, in path order, declaring a namespace is linked from the
/// n-th target. With `HURDIDL_UPDATE_GOLDENS=1` the links are rewritten to match.
@Suite("Every golden is compiled")
struct CompiledGoldensTests {
  static let tests = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  static let goldens = EmitterTests.goldens
  /// The targets of Package.swift that compile goldens, in order.
  static let targets = ["HurdIDLCompiledGoldens", "HurdIDLCompiledGoldens2", "HurdIDLCompiledGoldens3"]

  /// The `.swift` files under `folder`, as paths relative to it, sorted.
  static func swiftFiles(under folder: URL) -> [String] {
    let enumerator = FileManager.default.enumerator(atPath: folder.path)
    return (enumerator?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".swift") }.sorted()
  }

  /// The namespace a generated file declares: its first top-level `enum`.
  static func namespace(of text: String) -> String? {
    for line in text.split(separator: "\n") {
      let declaration = ["public ", "package "].reduce(Substring(line)) { $0.hasPrefix($1) ? $0.dropFirst($1.count) : $0 }
      if declaration.hasPrefix("enum "), declaration.hasSuffix(" {") {
        return String(declaration.dropFirst("enum ".count).dropLast(" {".count))
      }
    }
    return nil
  }

  /// Golden (relative to `Goldens/`) → the target that must compile it.
  static func placement() throws -> [String: String] {
    var seen: [String: Int] = [:]
    var placement: [String: String] = [:]
    for golden in swiftFiles(under: goldens) {
      let text = try String(contentsOf: goldens.appending(path: golden), encoding: .utf8)
      let namespace = try #require(Self.namespace(of: text), "\(golden) declares no namespace")
      let index = seen[namespace, default: 0]
      seen[namespace] = index + 1
      try #require(
        index < targets.count,
        "\(golden) is golden number \(index + 1) of subsystem \(namespace): add a target HurdIDLCompiledGoldens\(index + 1)")
      placement[golden] = targets[index]
    }
    return placement
  }

  /// Golden → the target whose folder links it, from the links on disk (a link that does not point
  /// to the golden at its own relative path counts under its own path, so it shows as a mismatch).
  static func links() throws -> [String: String] {
    var links: [String: String] = [:]
    for target in targets {
      let folder = tests.appending(path: target)
      for path in swiftFiles(under: folder) {
        let link = folder.appending(path: path)
        let destination = try FileManager.default.destinationOfSymbolicLink(atPath: link.path)
        let resolved = link.deletingLastPathComponent().appending(path: destination).standardized
        let golden = resolved.path == goldens.appending(path: path).standardized.path ? path : "\(target)/\(path) -> \(destination)"
        #expect(links[golden] == nil, "\(golden) is linked from \(links[golden] ?? "") and \(target)")
        links[golden] = target
      }
    }
    return links
  }

  @Test func everyGoldenIsCompiledOnce() throws {
    let expected = try Self.placement()
    #expect(expected.count >= 40)
    if EmitterTests.updating { try Self.relink(expected) }
    let actual = try Self.links()
    for (golden, target) in expected.sorted(by: { $0.key < $1.key }) where actual[golden] != target {
      let depth = String(repeating: "../", count: golden.split(separator: "/").count)
      Issue.record(
        """
        \(golden) must be compiled by \(target) (regenerate with HURDIDL_UPDATE_GOLDENS=1, or: \
        ln -s \(depth)HurdIDLEmitterTests/Goldens/\(golden) Tests/\(target)/\(golden))
        """)
    }
    for (link, target) in actual where expected[link] == nil {
      Issue.record("\(target) links \(link), which is no golden (regenerate with HURDIDL_UPDATE_GOLDENS=1)")
    }
  }

  /// Makes the links on disk exactly `expected`.
  static func relink(_ expected: [String: String]) throws {
    let files = FileManager.default
    for target in targets {
      let folder = tests.appending(path: target)
      for path in swiftFiles(under: folder) { try files.removeItem(at: folder.appending(path: path)) }
    }
    for (golden, target) in expected {
      let link = tests.appending(path: target).appending(path: golden)
      try files.createDirectory(at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
      let depth = String(repeating: "../", count: golden.split(separator: "/").count)
      try files.createSymbolicLink(atPath: link.path, withDestinationPath: depth + "HurdIDLEmitterTests/Goldens/" + golden)
    }
  }
}
