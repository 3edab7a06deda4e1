import Foundation

/// One `hurdidl generate` run the plugins ask for: a `.defs`, its config, its output name and
/// every file the run may read. Plugins run on every build, so this only lists files and reads
/// the config's `includePaths`; the `.defs` themselves are left to the tool.
struct GenerationJob {
  /// The `.defs` to generate from.
  var input: URL
  /// The nearest `hurdidl.json` up the folder tree, if any.
  var config: URL?
  /// `<stem>.hurdidl.swift`, folder-qualified when two inputs of the target share a stem.
  var outputName: String
  /// The input's path relative to the target folder (for messages).
  var displayPath: String
  /// Everything the tool may read: the input, every `.defs`/`.h` it might include (the target's
  /// and those under the config's `includePaths` and `cIncludePaths`) and the config. SwiftPM has no depfiles for
  /// build commands, so this is deliberately coarse: an edit to any of them regenerates.
  var dependencies: [URL]

  /// The tool's command line writing to `output`.
  func arguments(output: URL) -> [String] {
    var arguments = ["generate", input.path, "--output", output.path]
    if let config { arguments += ["--config", config.path] }
    return arguments
  }
}

/// A problem the plugin reports itself (no `.defs` location applies).
struct PluginProblem: Error, CustomStringConvertible {
  var description: String
}

enum GenerationJobs {
  static let configFileName = "hurdidl.json"
  static let includableExtensions: Set<String> = ["defs", "h"]

  /// The jobs of a target. `defsFiles` are the target's `.defs`; those that lie under an include
  /// path of their config are include files, not inputs. `searchLimit` is the highest folder the
  /// config search climbs to (the package folder).
  static func jobs(
    defsFiles: [URL], targetDirectory: URL, searchLimit: URL, targetName: String
  ) throws(PluginProblem) -> [GenerationJob] {
    var configs = ConfigLookup(searchLimit: searchLimit)
    var primaries: [(input: URL, config: URL?, includeDirectories: [URL])] = []
    for file in defsFiles.sorted(by: { $0.path < $1.path }) {
      let config = configs.nearest(to: file.deletingLastPathComponent())
      let includeDirectories = config.map { folders(named: "includePaths", in: $0) } ?? []
      if includeDirectories.contains(where: { isInside(file, $0) }) { continue }
      // C headers (`--c-check`, `--c-structs`) are read too: an edit to one must regenerate.
      let headerDirectories = config.map { folders(named: "cIncludePaths", in: $0) } ?? []
      primaries.append((file, config, includeDirectories + headerDirectories))
    }
    let displayPaths = primaries.map { relativePath(of: $0.input, below: targetDirectory) }
    if let collision = OutputNaming.collisions(forInputs: displayPaths).first {
      throw PluginProblem(
        description:
          "target '\(targetName)': \(collision.input) and \(collision.earlier) would both generate \(collision.fileName); rename one of them"
      )
    }
    let names = OutputNaming.fileNames(forInputs: displayPaths)
    var listings = FileListings()
    return primaries.indices.map { index in
      let primary = primaries[index]
      var dependencies = defsFiles
      for directory in primary.includeDirectories {
        dependencies += listings.includableFiles(under: directory)
      }
      if let config = primary.config { dependencies.append(config) }
      return GenerationJob(
        input: primary.input, config: primary.config, outputName: names[index], displayPath: displayPaths[index],
        dependencies: dependencies)
    }
  }

  /// A config's folder list `key` (`includePaths`, `cIncludePaths`), resolved against its folder.
  /// A config that cannot be read here is left to the tool, which reports it with its location.
  static func folders(named key: String, in config: URL) -> [URL] {
    guard let data = FileManager.default.contents(atPath: config.path),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let paths = object[key] as? [String]
    else { return [] }
    let folder = config.deletingLastPathComponent()
    return paths.map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : folder.appendingPathComponent($0) }
      .map { $0.standardizedFileURL }
  }

  static func isInside(_ file: URL, _ directory: URL) -> Bool {
    let folder = directory.standardizedFileURL.path
    return file.standardizedFileURL.path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
  }

  static func relativePath(of file: URL, below directory: URL) -> String {
    let folder = directory.standardizedFileURL.path
    let path = file.standardizedFileURL.path
    let prefix = folder.hasSuffix("/") ? folder : folder + "/"
    return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : file.lastPathComponent
  }

  /// Every `.defs` below `directory`, including files a target excludes (the command plugin's
  /// targets exclude their `.defs`, which SwiftPM then leaves out of `sourceFiles`).
  static func defsFiles(under directory: URL) -> [URL] {
    files(under: directory).filter { $0.pathExtension == "defs" }
  }

  static func files(under directory: URL) -> [URL] {
    guard let enumerator = FileManager.default.enumerator(
      at: directory, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
    else { return [] }
    var result: [URL] = []
    for case let url as URL in enumerator
    where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
      result.append(url)
    }
    return result.sorted { $0.path < $1.path }
  }
}

/// Finds the nearest `hurdidl.json`, remembering each folder's answer.
struct ConfigLookup {
  let searchLimit: String
  private var answers: [String: URL?] = [:]

  init(searchLimit: URL) {
    self.searchLimit = searchLimit.standardizedFileURL.path
  }

  mutating func nearest(to folder: URL) -> URL? {
    let path = folder.standardizedFileURL.path
    if let answer = answers[path] { return answer }
    let candidate = folder.appendingPathComponent(GenerationJobs.configFileName)
    let answer: URL?
    if FileManager.default.fileExists(atPath: candidate.path) {
      answer = candidate
    } else if path == searchLimit || path == "/" || !path.hasPrefix(searchLimit) {
      answer = nil
    } else {
      answer = nearest(to: folder.deletingLastPathComponent())
    }
    answers[path] = answer
    return answer
  }
}

/// The includable files of each include folder, listed once per plugin run.
struct FileListings {
  private var listings: [String: [URL]] = [:]

  mutating func includableFiles(under directory: URL) -> [URL] {
    if let known = listings[directory.path] { return known }
    let found = GenerationJobs.files(under: directory).filter {
      GenerationJobs.includableExtensions.contains($0.pathExtension)
    }
    listings[directory.path] = found
    return found
  }
}
