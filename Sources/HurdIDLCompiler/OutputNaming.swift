// This file is also compiled into the SwiftPM plugins (Plugins/PluginsShared links to it): plugins
// cannot depend on library targets, and the plugins must name outputs exactly as the CLI does.
// Keep it free of imports.

/// How generated files are named: `<stem>.hurdidl.swift`, or, when two inputs share a stem, the
/// input's folders joined with `_` (`a/hello.defs` → `a_hello.hurdidl.swift`). The names depend
/// on the inputs' paths alone, never on their contents, so a build system can know the outputs
/// before anything runs.
public enum OutputNaming {
  /// The suffix of every generated file; distinctive, so it never meets a user's `.swift` file.
  public static let suffix = ".hurdidl.swift"

  /// The output file name of each input, in input order. `inputs` are display paths (relative to
  /// an include root or a target folder), with `/` separators.
  public static func fileNames(forInputs inputs: [String]) -> [String] {
    let stems = inputs.map { stem(of: lastComponent(of: $0)) }
    return zip(inputs, stems).map { input, stem in
      stems.filter { $0 == stem }.count > 1 ? qualifiedName(of: input) : stem + suffix
    }
  }

  /// Pairs of inputs whose names still meet after folder qualification (`a_b/c.defs` and
  /// `a/b_c.defs` both give `a_b_c.hurdidl.swift`): each pair is the later input, the earlier one
  /// and the name they share. Such outputs must be an error, never an overwrite.
  public static func collisions(forInputs inputs: [String]) -> [(input: String, earlier: String, fileName: String)] {
    var firstOwner: [String: String] = [:]
    var result: [(input: String, earlier: String, fileName: String)] = []
    for (input, name) in zip(inputs, fileNames(forInputs: inputs)) {
      if let earlier = firstOwner[name] {
        result.append((input, earlier, name))
      } else {
        firstOwner[name] = input
      }
    }
    return result
  }

  /// `a/b/hello.defs` → `a_b_hello.hurdidl.swift`.
  static func qualifiedName(of input: String) -> String {
    let parts = input.split(separator: "/").map(String.init)
    let last = parts.last.map(stem(of:)) ?? ""
    return (parts.dropLast() + [last]).joined(separator: "_") + suffix
  }

  static func stem(of fileName: String) -> String {
    fileName.hasSuffix(".defs") ? String(fileName.dropLast(".defs".count)) : fileName
  }

  static func lastComponent(of path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
  }
}
