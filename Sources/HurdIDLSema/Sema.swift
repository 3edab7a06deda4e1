public import HurdIDLSource
public import HurdIDLSyntax

/// Options for ``Sema/check(_:options:)``.
public struct SemaOptions: Hashable, Sendable {
  /// The buffer of the main file. It decides which types are listed in
  /// ``CheckedInterface/types`` and tells a type fragment (types declared in the main file) from
  /// a file that only includes one.
  public var mainBuffer: BufferID
  /// Warn where GNU MIG's `struct {…}` layout differs from C's (8-byte `MACH_MSG_TYPE_*`
  /// members aligned to 4). Off by default: GNU Mach's own headers trigger it (`rpc_time_value_t`);
  /// the model always records it in ``StructLayout/differsFromC``.
  public var warnsAboutStructLayout: Bool
  /// List the types of included files in ``CheckedInterface/types`` too (by default only the main
  /// file's are listed).
  public var listsIncludedTypes: Bool

  public init(
    mainBuffer: BufferID = BufferID(rawValue: 0), warnsAboutStructLayout: Bool = false, listsIncludedTypes: Bool = false
  ) {
    self.mainBuffer = mainBuffer
    self.warnsAboutStructLayout = warnsAboutStructLayout
    self.listsIncludedTypes = listsIncludedTypes
  }

  /// Options whose main buffer is the main file of `sourceMap`: the last file buffer that was not
  /// included (`-imacros` files come before it; the preprocessor's built-in and command-line
  /// buffers are not files).
  public init(mainFileOf sourceMap: SourceMap, warnsAboutStructLayout: Bool = false, listsIncludedTypes: Bool = false) {
    let main = sourceMap.buffers.last { $0.kind == .file && $0.includedFrom == nil }
    self.init(
      mainBuffer: main?.id ?? BufferID(rawValue: 0), warnsAboutStructLayout: warnsAboutStructLayout,
      listsIncludedTypes: listsIncludedTypes)
  }
}

/// What sema made of a syntax tree.
public struct SemaResult: Sendable {
  /// The checked interface; `nil` when there were errors.
  public var interface: CheckedInterface?
  /// Sema's diagnostics, in source order of the checks.
  public var diagnostics: [Diagnostic]

  public init(interface: CheckedInterface?, diagnostics: [Diagnostic]) {
    self.interface = interface
    self.diagnostics = diagnostics
  }

  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// Semantic analysis: syntax tree → ``CheckedInterface``, reproducing GNU MIG's static semantics
/// (reference §3) and diagnosing what GNU misses. Pure: no I/O, never traps.
public enum Sema {
  public static func check(_ file: DefsFile, options: SemaOptions = SemaOptions()) -> SemaResult {
    var checker = Checker(options: options)
    return checker.run(file)
  }
}
