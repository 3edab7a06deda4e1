/// A `-D` or `-U` from the command line. They are applied in command-line order, so
/// `-DX -UX` leaves `X` undefined and `-UX -DX` defines it.
public enum CommandLineMacro: Sendable, Hashable {
  /// `NAME`, `NAME=VALUE` or `NAME(PARAMS)=VALUE`; `NAME` alone defines it as `1`. The value is
  /// taken verbatim (spaces, quotes and `;` included) up to the first newline.
  case define(String)
  /// `NAME`
  case undefine(String)

  /// The `-D`/`-U` options of a raw argument list, in order (`-DNAME`, `-D NAME`, `-UNAME`,
  /// `-U NAME`; scanning stops at `--`). Argument parsers that collect `-D` and `-U` into
  /// separate arrays lose their relative order; this recovers it.
  public static func inCommandLineOrder(_ arguments: [String]) -> [CommandLineMacro] {
    var result: [CommandLineMacro] = []
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      if argument == "--" { break }
      guard argument.hasPrefix("-D") || argument.hasPrefix("-U") else { continue }
      var value = String(argument.dropFirst(2))
      if value.isEmpty {
        guard index < arguments.count else { break }
        value = arguments[index]
        index += 1
      }
      result.append(argument.hasPrefix("-D") ? .define(value) : .undefine(value))
    }
    return result
  }
}

/// The macros the target's compiler would predefine.
public enum TargetPredefines: String, Sendable, Hashable, CaseIterable {
  /// None: the behaviour of plain `cpp -undef`.
  case none
  /// `__x86_64__` and `__LP64__` (both `1`): what GNU Mach's `.defs` files test to pick 64-bit
  /// types. GNU MIG runs cpp with `-undef` and silently gets 32-bit types without them.
  case x86_64
  /// `__i386__` (`1`): the 32-bit Hurd.
  case i386

  /// The predefined macros as `NAME=VALUE` strings, in definition order.
  public var definitions: [String] {
    switch self {
    case .none: []
    case .x86_64: ["__x86_64__=1", "__LP64__=1"]
    case .i386: ["__i386__=1"]
    }
  }
}

/// Everything the command line can say to the preprocessor.
public struct PreprocessorOptions: Sendable, Hashable {
  /// `-I` directories, searched in order (after the includer's directory for `"…"`).
  public var includePaths: [String]
  /// `-D` and `-U` in command-line order.
  public var commandLineMacros: [CommandLineMacro]
  /// `-imacros` files, processed after the `-D`/`-U` options and before the main file; only
  /// their macro definitions are kept.
  public var imacrosFiles: [String]
  /// The target's predefined macros (default `.x86_64`).
  public var target: TargetPredefines
  /// Predefine the standard macros `__STDC__` and `__STDC_HOSTED__` (both `1`), as `cpp -undef`
  /// does. `__FILE__` and `__LINE__` are always available.
  public var definesStandardMacros: Bool
  /// `#include` nesting deeper than this is an error (GCC's limit is 200 too).
  public var maxIncludeDepth: Int
  /// Upper bound on the number of files opened in one run, so that exponential include graphs
  /// end with an error instead of running for ever.
  public var maxInclusions: Int
  /// Upper bound on macro expansions in one run (exponentially growing macros end in an error).
  public var maxMacroExpansions: Int
  /// Upper bound on the tokens all macro expansions of one run may produce together. Counting
  /// expansions is not enough: `#define X(a) a a` nested n deep in its own argument is n
  /// expansions but 2ⁿ tokens.
  public var maxExpandedTokens: Int
  /// Stop collecting errors after this many (a final `too-many-errors` error says so).
  public var errorLimit: Int

  public init(
    includePaths: [String] = [], defines: [String] = [], undefines: [String] = [],
    imacrosFiles: [String] = [], target: TargetPredefines = .x86_64, definesStandardMacros: Bool = true,
    maxIncludeDepth: Int = 200, maxInclusions: Int = 100_000, maxMacroExpansions: Int = 5_000_000, maxExpandedTokens: Int = 2_000_000,
    errorLimit: Int = 200
  ) {
    self.includePaths = includePaths
    self.commandLineMacros = defines.map(CommandLineMacro.define) + undefines.map(CommandLineMacro.undefine)
    self.imacrosFiles = imacrosFiles
    self.target = target
    self.definesStandardMacros = definesStandardMacros
    self.maxIncludeDepth = maxIncludeDepth
    self.maxInclusions = maxInclusions
    self.maxMacroExpansions = maxMacroExpansions
    self.maxExpandedTokens = maxExpandedTokens
    self.errorLimit = errorLimit
  }

  /// The `-D` values, in order (read-only view of ``commandLineMacros``).
  public var defines: [String] {
    commandLineMacros.compactMap { if case .define(let text) = $0 { text } else { nil } }
  }

  /// The `-U` names, in order (read-only view of ``commandLineMacros``).
  public var undefines: [String] {
    commandLineMacros.compactMap { if case .undefine(let name) = $0 { name } else { nil } }
  }
}
