public import HurdIDLSource
public import HurdIDLSyntax

/// Options for ``Sema/check(_:options:)``.
public struct SemaOptions: Hashable, Sendable {
  /// The buffers of the main file (one, except for externally preprocessed text, where every
  /// line marker back to the main file opens a new buffer). They decide which types are listed in
  /// ``CheckedInterface/types`` and tell a type fragment (types declared in the main file) from a
  /// file that only includes one. `nil` (the default): every buffer counts as the main file — a
  /// file that only includes types then checks as a fragment; use ``init(mainFileOf:)`` after the
  /// front end to get GNU's "no subsystem" error for it.
  public var mainBuffers: Set<BufferID>?
  /// Warn where GNU MIG's `struct {…}` layout differs from C's (8-byte `MACH_MSG_TYPE_*`
  /// members aligned to 4). Off by default: GNU Mach's own headers trigger it (`rpc_time_value_t`);
  /// the model always records it in ``StructLayout/differsFromC``.
  public var warnsAboutStructLayout: Bool
  /// List the types of included files in ``CheckedInterface/types`` too (by default only the main
  /// file's are listed).
  public var listsIncludedTypes: Bool

  public init(
    mainBuffer: BufferID? = nil, warnsAboutStructLayout: Bool = false, listsIncludedTypes: Bool = false
  ) {
    self.mainBuffers = mainBuffer.map { [$0] }
    self.warnsAboutStructLayout = warnsAboutStructLayout
    self.listsIncludedTypes = listsIncludedTypes
  }

  /// Options whose main buffers are those of the main file of `sourceMap`: the file buffers that
  /// were not included and have the path of the last such buffer (`-imacros` files come before
  /// the main file; the preprocessor's built-in and command-line buffers are not files).
  public init(mainFileOf sourceMap: SourceMap, warnsAboutStructLayout: Bool = false, listsIncludedTypes: Bool = false) {
    let topLevel = sourceMap.buffers.filter { $0.kind == .file && $0.includedFrom == nil }
    self.init(warnsAboutStructLayout: warnsAboutStructLayout, listsIncludedTypes: listsIncludedTypes)
    if let main = topLevel.last {
      mainBuffers = Set(topLevel.filter { $0.path == main.path }.map(\.id))
    }
  }

  /// Whether `buffer` belongs to the main file.
  func isMain(_ buffer: BufferID) -> Bool { mainBuffers?.contains(buffer) ?? true }
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
