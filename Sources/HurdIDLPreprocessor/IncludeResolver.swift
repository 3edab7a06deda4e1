/// A file found by an ``IncludeResolver``: the path to show in diagnostics and line markers, and
/// its bytes.
public struct ResolvedFile: Sendable, Hashable {
  public var path: String
  public var bytes: [UInt8]

  public init(path: String, bytes: [UInt8]) {
    self.path = path
    self.bytes = bytes
  }
}

/// How the preprocessor reads files. The library never touches the file system itself: the CLI
/// supplies a resolver that reads files, tests supply ``InMemoryIncludeResolver``.
///
/// The preprocessor asks for the main file (`includer == nil`, no search paths), for `-imacros`
/// files (`includer == nil`, the `-I` paths) and for every `#include`. Use
/// ``IncludeSearch/candidates(name:isAngled:includer:searchPaths:)`` to get GCC's search order
/// and return the first candidate that exists.
public protocol IncludeResolver: Sendable {
  /// Finds `name` as spelled between the quotes or angle brackets (`isAngled` for `<…>`);
  /// `includer` is the path of the including file; `searchPaths` are the `-I` directories in
  /// order. Returns `nil` when the file cannot be found or read.
  func resolve(name: String, isAngled: Bool, includer: String?, searchPaths: [String]) -> ResolvedFile?
}

/// GCC's include search order, shared by every resolver.
public enum IncludeSearch {
  /// The paths to try, in order:
  /// - an absolute name: only itself;
  /// - `"…"` form: the including file's directory (the current directory when there is no
  ///   includer), then each search path;
  /// - `<…>` form: each search path.
  public static func candidates(name: String, isAngled: Bool, includer: String?, searchPaths: [String]) -> [String] {
    if name.hasPrefix("/") { return [name] }
    var result: [String] = []
    if !isAngled {
      result.append(join(includer.map(directory(of:)) ?? "", name))
    }
    for path in searchPaths {
      result.append(join(path.isEmpty ? "." : path, name))
    }
    return result
  }

  /// The directory part of a path (`""` for a bare file name).
  public static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
  }

  /// Joins a directory and a relative name, dropping `./` segments so paths stay readable.
  public static func join(_ directory: String, _ name: String) -> String {
    var name = Substring(name)
    while name.hasPrefix("./") { name = name.dropFirst(2) }
    if directory.isEmpty || directory == "." { return String(name) }
    return directory.hasSuffix("/") ? directory + name : directory + "/" + name
  }
}

/// Resolves includes from a dictionary of path → text, following ``IncludeSearch`` order.
public struct InMemoryIncludeResolver: IncludeResolver {
  public var files: [String: [UInt8]]

  public init(_ files: [String: String]) {
    self.files = files.mapValues { Array($0.utf8) }
  }

  public init(bytes files: [String: [UInt8]]) {
    self.files = files
  }

  public func resolve(name: String, isAngled: Bool, includer: String?, searchPaths: [String]) -> ResolvedFile? {
    for candidate in IncludeSearch.candidates(name: name, isAngled: isAngled, includer: includer, searchPaths: searchPaths) {
      if let bytes = files[candidate] { return ResolvedFile(path: candidate, bytes: bytes) }
    }
    return nil
  }
}
