import Foundation
import HurdIDLEmitter
import Testing

/// Client and server generated into separate files of one module (EmitterOptions.shared): the
/// shared declarations once, each side without them; all three compile together.
@Suite("Client and server in separate files of one module")
struct SplitFilesTests {
  static let parts: [(String, @Sendable (inout EmitterOptions) -> Void)] = [
    ("shared", { $0.shared = .only }),
    ("client", { $0.shared = .omitted; $0.server = false }),
    ("server", { $0.shared = .omitted; $0.client = false }),
  ]

  @Test(arguments: ["roundtrip", "kinds", "translations"], [EmitterOptions.AccessLevel.internal, .public])
  func sharedClientAndServerFilesCompileTogether(_ name: String, _ access: EmitterOptions.AccessLevel) throws {
    let folder = FileManager.default.temporaryDirectory.appending(path: "hurdidl-split-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var names: [String] = []
    var sources: [String] = []
    for (_, configure) in Self.parts {
      let result = RoundTripFixture.compile(name) {
        configure(&$0)
        $0.accessLevel = access
      }
      let file = try #require(result.file, "\(result.errors)")
      #expect(file.diagnostics.isEmpty, "\(file.diagnostics.map(\.message))")
      names.append(file.fileName)
      let url = folder.appending(path: file.fileName)
      try file.contents.write(to: url, atomically: true, encoding: .utf8)
      sources.append(url.path)
    }
    #expect(names == ["\(name).shared.hurdidl.swift", "\(name).client.hurdidl.swift", "\(name).server.hurdidl.swift"])
    try GeneratedGNUMachTests.typeCheck(sources, moduleName: "Split")
  }

  /// Each part holds only its declarations: the namespace once, the client and server once.
  @Test func eachDeclarationIsInExactlyOnePart() throws {
    var contents: [String: String] = [:]
    for (part, configure) in Self.parts {
      contents[part] = try #require(RoundTripFixture.generate("roundtrip", configure: configure)).contents
    }
    let declarations = [
      ("enum Roundtrip {", "shared"), ("struct RoundtripClient<", "client"), ("protocol RoundtripServer:", "server"),
      ("struct RoundtripDemux<", "server"), ("enum Wire {", "shared"),
    ]
    for (declaration, part) in declarations {
      for (name, text) in contents {
        #expect(text.contains(declaration) == (name == part), "\(declaration) in \(name)")
      }
    }
  }

  @Test func fileNamesDependOnTheParts() {
    var options = EmitterOptions(sourcePath: "hurd/io.defs")
    #expect(options.fileName(stem: options.sourceStem) == "io.hurdidl.swift")
    options.shared = .omitted
    #expect(options.fileName(stem: "hurd_io") == "hurd_io.client-server.hurdidl.swift")
    options.client = false
    #expect(options.fileName(stem: "io") == "io.server.hurdidl.swift")
    options.shared = .only
    #expect(options.fileName(stem: "io") == "io.shared.hurdidl.swift")
  }
}
