import Foundation
import PackagePlugin

/// The command plugin, for packages that commit their generated code:
/// `swift package --allow-writing-to-package-directory generate-hurdidl-sources [--target T]…`
/// writes `Sources/T/Generated/<name>.hurdidl.swift` for every `.defs` of each target (all targets
/// that hold `.defs` when no `--target` is given). Such targets `exclude` their `.defs`, so the
/// files are found by listing the target folder rather than through SwiftPM.
@main
struct HurdIDLCommandPlugin: CommandPlugin {
  static let generatedFolder = "Generated"

  func performCommand(context: PluginContext, arguments: [String]) async throws {
    var extractor = ArgumentExtractor(arguments)
    let names = extractor.extractOption(named: "target")
    if let unknown = extractor.remainingArguments.first {
      throw PluginProblem(description: "generate-hurdidl-sources: unknown argument '\(unknown)' (only --target NAME is accepted)")
    }
    let targets: [any Target] = names.isEmpty ? context.package.targets : try context.package.targets(named: names)
    let tool = try context.tool(named: "hurdidl").url
    var generated = 0
    for case let target as SwiftSourceModuleTarget in targets {
      let defsFiles = GenerationJobs.defsFiles(under: target.directoryURL)
      if defsFiles.isEmpty {
        if !names.isEmpty { Diagnostics.warning("target '\(target.name)' has no .defs files") }
        continue
      }
      let jobs = try GenerationJobs.jobs(
        defsFiles: defsFiles, targetDirectory: target.directoryURL, searchLimit: context.package.directoryURL,
        targetName: target.name)
      let folder = target.directoryURL.appendingPathComponent(Self.generatedFolder)
      for job in jobs {
        let output = folder.appendingPathComponent(job.outputName)
        try run(tool, job.arguments(output: output))
        print("\(target.name): \(job.displayPath) → \(Self.generatedFolder)/\(job.outputName)")
        generated += 1
      }
    }
    if generated == 0 { Diagnostics.warning("no .defs files found in the selected targets") }
  }

  /// Runs the tool; its diagnostics reach the terminal unchanged (standard error is inherited).
  private func run(_ tool: URL, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = tool
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationReason == .exit, process.terminationStatus == 0 else {
      throw PluginProblem(description: "hurdidl \(arguments.joined(separator: " ")) failed (status \(process.terminationStatus))")
    }
  }
}
