import HurdIDLSource
import HurdIDLSyntax

/// One entry of the global type table.
struct TypeEntry {
  /// `nil` when the declaration had an error (uses of the name then stay silent).
  var info: TypeInfo?
  /// The declaration; `nil` for builtins.
  var range: SourceRange?
}

/// The state of one sema run over a file: GNU MIG's global variables (type table, routine
/// counter, positional options) plus what hurdidl adds (routine names, ids seen).
struct Checker {
  let options: SemaOptions
  var diagnostics = DiagnosticBag()

  // The first `subsystem` statement, found before the walk (GNU's port size and kernel C types
  // apply to the whole run).
  var subsystemDecl: SubsystemDecl?
  var isKernelUser = false
  var isKernelServer = false
  var portSize = MachTarget.userPortSizeInBits

  var table: [String: TypeEntry] = [:]
  var declaredTypes: [ResolvedType] = []

  // Positional state.
  var sawSubsystem = false
  var reportedEarlyDeclaration = false
  var userPrefix = ""
  var serverPrefix = ""
  var waitTime: String?
  var msgOption: String?
  var serverDemux: String?
  var imports: [Import] = []
  var rcsID: String?
  var skipCount = 0

  // Routines and message ids.
  var counter: UInt64 = 0
  var routines: [CheckedRoutine] = []
  var routineDeclarations: [String: SourceRange] = [:]
  var requestIDOwners: [UInt32: (name: String, range: SourceRange)] = [:]
  /// The name behind each `unknown-type` diagnostic (keyed by its location's description).
  var unknownTypeNames: [String: String] = [:]

  init(options: SemaOptions) {
    self.options = options
  }

  var base: UInt32 { subsystemDecl?.base.value ?? 0 }

  mutating func run(_ file: DefsFile) -> SemaResult {
    for statement in file.statements {
      if case .subsystem(let decl) = statement {
        subsystemDecl = decl
        break
      }
    }
    if let decl = subsystemDecl {
      isKernelUser = decl.modifiers.contains { $0.value == .kernelUser }
      isKernelServer = decl.modifiers.contains { $0.value == .kernelServer }
      if isKernelUser || isKernelServer { portSize = MachTarget.kernelPortSizeInBits }
    }
    declareBuiltins()

    var declaresTypeInMainFile = false
    var hasRoutine = false
    for statement in file.statements {
      switch statement {
      case .subsystem(let decl):
        checkSubsystem(decl)
      case .nameOption(let option):
        switch option.kind {
        case .serverPrefix: serverPrefix = option.name.name
        case .userPrefix: userPrefix = option.name.name
        case .serverDemux: serverDemux = option.name.name
        case .errorProcedure:
          diagnostics.warning(
            .noEffect, "the 'error' statement has no effect (GNU MIG ignores it; it was removed upstream in 2023)",
            at: option.range.start)
        }
      case .messageOption(let option):
        switch option.kind {
        case .waitTime: waitTime = option.value?.value
        case .noWaitTime: waitTime = nil
        case .msgOption: msgOption = option.value?.value
        }
      case .import(let decl):
        let kind: Import.Kind =
          switch decl.kind {
          case .both: .both
          case .user: .user
          case .server: .server
          }
        imports.append(
          Import(kind: kind, fileName: decl.fileName.value, routinesBefore: routines.count, range: decl.range))
      case .rcsid(let decl):
        rcsID = decl.string.value
      case .type(let decl):
        if options.isMain(decl.range.start.buffer) { declaresTypeInMainFile = true }
        noteDeclarationBeforeSubsystem(what: "type '\(decl.name.name)'", at: decl.range)
        declareType(decl)
      case .routine(let decl):
        hasRoutine = true
        noteDeclarationBeforeSubsystem(what: "routine '\(decl.name.name)'", at: decl.range)
        checkRoutine(decl)
      case .skip(let decl):
        skipCount += 1
        advanceCounter(by: decl.count?.value ?? 1, at: decl.range)
      case .empty:
        break
      }
    }

    let isTypeFragment = subsystemDecl == nil && !hasRoutine && skipCount == 0 && declaresTypeInMainFile
    if subsystemDecl == nil && !isTypeFragment {
      diagnostics.error(
        .noSubsystem,
        "no 'subsystem' statement: an interface starts with 'subsystem NAME BASE;' "
          + "(a file that only declares types is checked as an include fragment)",
        at: SourceLocation(buffer: options.mainBuffers?.min() ?? file.range.start.buffer, line: 1, column: 1))
    }
    // A fragment may use types its includer declares (machine_types.defs uses std_types.defs'
    // uint32_t): those names are recorded, not reported.
    var reported = diagnostics.diagnostics
    var externalTypes: [String] = []
    if isTypeFragment {
      for diagnostic in reported where diagnostic.code == .unknownType {
        if let name = unknownTypeNames[diagnostic.location.map { "\($0)" } ?? ""], !externalTypes.contains(name) {
          externalTypes.append(name)
        }
      }
      reported.removeAll { $0.code == .unknownType }
    }
    guard !reported.contains(where: { $0.severity == .error }) else {
      return SemaResult(interface: nil, diagnostics: reported)
    }
    let subsystem = subsystemDecl.map { decl in
      Subsystem(
        name: decl.name.name, base: decl.base.value, isKernelUser: isKernelUser, isKernelServer: isKernelServer,
        serverDemux: serverDemux ?? decl.name.name + "_server", hasExplicitServerDemux: serverDemux != nil,
        range: decl.range)
    }
    let interface = CheckedInterface(
      subsystem: subsystem, isTypeFragment: isTypeFragment, portSizeInBits: portSize, types: declaredTypes,
      routines: routines, messageIDCount: UInt32(truncatingIfNeeded: counter), imports: imports, rcsID: rcsID,
      externalTypes: externalTypes)
    return SemaResult(interface: interface, diagnostics: reported)
  }

  // MARK: Subsystem

  mutating func checkSubsystem(_ decl: SubsystemDecl) {
    if let first = subsystemDecl, first.range != decl.range {
      diagnostics.error(
        .duplicateSubsystem,
        "a second 'subsystem' statement ('\(decl.name.name)'); an interface has exactly one "
          + "(GNU MIG stops here), so this one is ignored",
        at: decl.range.start, notes: [.init("the subsystem '\(first.name.name)' is declared here", at: first.range.start)])
      return
    }
    sawSubsystem = true
    var seen: [SubsystemDecl.Modifier: SourceRange] = [:]
    for modifier in decl.modifiers {
      if let previous = seen[modifier.value] {
        diagnostics.warning(
          .duplicateSubsystemModifier, "'\(modifier.value.rawValue)' is written twice",
          at: modifier.range.start, notes: [.init("first written here", at: previous.start)])
      } else {
        seen[modifier.value] = modifier.range
      }
    }
  }

  /// GNU MIG initialises its type table at `subsystem`, so any type or routine before it fails
  /// there ("Basic types not initialized"). Apple MIG and hurdidl accept it; one warning per file.
  mutating func noteDeclarationBeforeSubsystem(what: String, at range: SourceRange) {
    guard !sawSubsystem, let decl = subsystemDecl, !reportedEarlyDeclaration else { return }
    reportedEarlyDeclaration = true
    diagnostics.warning(
      .declarationBeforeSubsystem,
      "\(what) comes before the 'subsystem' statement; GNU MIG rejects this "
        + "(\"Basic types not initialized … Did you forget to define the subsystem?\"), hurdidl accepts it",
      at: range.start, notes: [.init("the subsystem is declared here", at: decl.range.start)])
  }

  // MARK: Message ids

  /// The most message ids (routines and `skip` slots) an interface may use.
  static let maximumMessageIDs: UInt64 = 65_536

  mutating func advanceCounter(by amount: UInt32, at range: SourceRange) {
    let next = counter + UInt64(amount)
    if next > UInt64(UInt32.max) {
      diagnostics.error(
        .messageIDOverflow,
        "'skip \(amount)' takes the routine counter past 4294967295 (it would be \(next)); "
          + "GNU MIG wraps it silently and reuses message ids",
        at: range.start)
    } else if next > Self.maximumMessageIDs, counter <= Self.maximumMessageIDs {
      // GNU MIG writes a C array with a slot per id; a billion slots is a mistake, not a design.
      diagnostics.error(
        .messageIDRangeTooLarge,
        "this 'skip' gives the subsystem \(next) message ids; at most \(Self.maximumMessageIDs) are allowed "
          + "(the server's demux table has a slot per id)",
        at: range.start)
    }
    counter = next & UInt64(UInt32.max)
  }
}
