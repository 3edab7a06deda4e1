import Foundation
import HurdIDLCCheck
import HurdIDLCImport
import HurdIDLSource
import Testing

/// Every C check diagnostic, pinned as text (paths relative to Inputs/).
@Suite struct CCheckGoldenTests {
  static let cases: [(defs: String, target: String, golden: String)] = [
    ("checks.defs", "x86_64", "diagnostics/checks.txt"),
    ("broken.defs", "x86_64", "diagnostics/broken.txt"),
    ("target.defs", "x86_64", "diagnostics/target-x86_64.txt"),
    ("target.defs", "i386", "diagnostics/target-i386.txt"),
  ]

  static func render(_ defs: String, target: String) -> (text: String, hasErrors: Bool, hasInterface: Bool) {
    let options = CCheckOptions(importOptions: CImportOptions(target: target))
    let checked = checkWithC(TestPaths.inputs + "/" + defs, options: options)
    let prefix = TestPaths.inputs + "/"
    let renderer = DiagnosticRenderer(sourceMap: checked.sourceMap) { path in
      path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
    return (renderer.render(checked.diagnostics), checked.hasErrors, checked.interface != nil)
  }

  @Test(arguments: cases.indices)
  func diagnosticsMatchTheGolden(_ index: Int) throws {
    let testCase = Self.cases[index]
    let rendered = Self.render(testCase.defs, target: testCase.target)
    try expectGolden(rendered.text, testCase.golden)
    // An error of the C check takes the interface away, as any error does.
    #expect(rendered.hasInterface == !rendered.hasErrors)
  }

  @Test func missingCTypesAreSilentUnlessAsked() {
    let checked = checkWithC(
      TestPaths.inputs + "/checks.defs", options: CCheckOptions(reportsMissingTypes: false))
    #expect(!checked.diagnostics.contains { $0.code == .cTypeNotFound })
    #expect(checked.diagnostics.contains { $0.code == .cSizeMismatch })
  }

  @Test func hiddenLibclangIsOneClearError() {
    let checked = checkWithC(TestPaths.inputs + "/target.defs", environment: ["HURDIDL_LIBCLANG": "none"])
    #expect(checked.diagnostics.map(\.code) == [.cImportUnavailable])
    #expect(checked.diagnostics.first?.message.contains("install libclang-dev") == true)
    #expect(checked.interface == nil)
  }
}
