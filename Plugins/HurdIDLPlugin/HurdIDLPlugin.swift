import Foundation
import PackagePlugin

/// The build-tool plugin: one build command per `.defs` of the target, running `hurdidl generate`
/// into the plugin's work folder. SwiftPM re-runs a command only when one of its inputs (or the
/// tool) changed, and the tool writes only changed files, so an unchanged build does nothing.
/// Diagnostics come from the tool as `path:line:col: error: …` on standard error, which SwiftPM
/// prints verbatim and which fail the build.
@main
struct HurdIDLPlugin: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
    guard let target = target as? SwiftSourceModuleTarget else {
      throw PluginProblem(description: "HurdIDLPlugin: target '\(target.name)' is not a Swift target; add the plugin to a Swift target")
    }
    let defsFiles = target.sourceFiles(withSuffix: "defs").map(\.url)
    let jobs = try GenerationJobs.jobs(
      defsFiles: defsFiles, targetDirectory: target.directoryURL, searchLimit: context.package.directoryURL,
      targetName: target.name)
    let tool = try context.tool(named: "hurdidl").url
    return jobs.map { job in
      let output = context.pluginWorkDirectoryURL.appendingPathComponent(job.outputName)
      return .buildCommand(
        displayName: "hurdidl: generating \(job.outputName) from \(job.displayPath)",
        executable: tool,
        arguments: job.arguments(output: output),
        inputFiles: job.dependencies,
        outputFiles: [output])
    }
  }
}
