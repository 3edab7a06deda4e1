public import HurdIDLPlanner
public import HurdIDLSema
public import HurdIDLSource

/// One `.defs` file taken through the front end and semantic analysis.
public struct CheckedFile: Sendable {
  public var frontEnd: FrontEndResult
  /// The checked interface; `nil` when any stage reported an error.
  public var interface: CheckedInterface?
  /// Every diagnostic of every stage, in order.
  public var diagnostics: [Diagnostic]

  public var mainFile: String { frontEnd.mainFile }
  public var sourceMap: SourceMap { frontEnd.sourceMap }
  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// The wire format a plan is made for.
public enum WireFormat: String, Sendable, CaseIterable, Codable {
  /// GNU MIG 1.8's Mach messages, byte for byte (x86_64).
  case mach
  /// hurdidl's native L4 layout (message registers and typed items).
  case l4
}

/// The compiler as a library: front end → sema → planners. Like ``FrontEnd`` it has no side
/// effects, so the CLI, the build plugin and the tests all share it.
public enum Compiler {
  /// Runs sema on a front-end result. Sema only runs on a syntactically clean file: the parser
  /// drops statements it could not read, and analysing the rest would report consequences
  /// ("type not defined") of errors already shown.
  public static func check(_ frontEnd: FrontEndResult, options: SemaOptions? = nil) -> CheckedFile {
    guard let syntax = frontEnd.syntax, !frontEnd.hasErrors else {
      return CheckedFile(frontEnd: frontEnd, interface: nil, diagnostics: frontEnd.diagnostics)
    }
    let sema = Sema.check(syntax, options: options ?? SemaOptions(mainFileOf: frontEnd.sourceMap))
    return CheckedFile(
      frontEnd: frontEnd, interface: sema.hasErrors ? nil : sema.interface,
      diagnostics: frontEnd.diagnostics + sema.diagnostics)
  }

  /// The Mach plan of a checked interface; `nil` for an include-only type fragment.
  public static func machPlan(_ interface: CheckedInterface) -> MachInterfacePlan? {
    MachPlanner.plan(interface)
  }

  /// The native L4 plan of a checked interface.
  public static func l4Plan(_ interface: CheckedInterface) -> L4InterfacePlan {
    L4Planner.plan(interface)
  }
}
