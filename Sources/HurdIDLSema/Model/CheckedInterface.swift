public import HurdIDLSource

/// The `subsystem` statement and the global statements that configure the whole interface.
public struct Subsystem: Hashable, Sendable, Codable {
  public var name: String
  /// Message id of index 0.
  public var base: UInt32
  public var isKernelUser: Bool
  public var isKernelServer: Bool
  /// The demux function name: the last `serverdemux` statement, else `<name>_server`.
  public var serverDemux: String
  /// True when `serverDemux` comes from a `serverdemux` statement.
  public var hasExplicitServerDemux: Bool
  public var range: SourceRange

  public init(
    name: String, base: UInt32, isKernelUser: Bool, isKernelServer: Bool, serverDemux: String,
    hasExplicitServerDemux: Bool, range: SourceRange
  ) {
    self.name = name
    self.base = base
    self.isKernelUser = isKernelUser
    self.isKernelServer = isKernelServer
    self.serverDemux = serverDemux
    self.hasExplicitServerDemux = hasExplicitServerDemux
    self.range = range
  }
}

/// `import`/`uimport`/`simport` (copied into the generated C at its position).
public struct Import: Hashable, Sendable, Codable {
  public enum Kind: String, Hashable, Sendable, Codable {
    /// `import`: user header, user and server files.
    case both = "import"
    /// `uimport`: user side only.
    case user = "uimport"
    /// `simport`: server side only.
    case server = "simport"
  }
  public var kind: Kind
  /// With its delimiters: `"foo.h"` or `<mach/foo.h>`.
  public var fileName: String
  /// How many routines were declared before it (its position relative to the routines).
  public var routinesBefore: Int
  public var range: SourceRange

  public init(kind: Kind, fileName: String, routinesBefore: Int, range: SourceRange) {
    self.kind = kind
    self.fileName = fileName
    self.routinesBefore = routinesBefore
    self.range = range
  }
}

/// The checked interface: what every later stage (planners, code generators, `dump model`) reads.
/// A plain value; its JSON (sorted keys) is stable and contains no file paths — locations are
/// ``SourceRange``s into the front end's ``SourceMap``.
public struct CheckedInterface: Hashable, Sendable, Codable {
  /// `nil` exactly for a type fragment.
  public var subsystem: Subsystem?
  /// A file meant to be `#include`d (like `mach/std_types.defs`): no `subsystem`, no routine, no
  /// `skip`, and at least one type declared in the main file itself. Such a file checks without
  /// the "no subsystem" error (see docs/model.md).
  public var isTypeFragment: Bool
  /// 32, or 64 when the subsystem is `KernelUser` or `KernelServer` (GNU: for the whole run).
  public var portSizeInBits: UInt32
  /// The types declared by `type` statements of the main file, in order (types from included
  /// files are not listed; every argument carries its full type anyway).
  public var types: [ResolvedType]
  public var routines: [CheckedRoutine]
  /// The routine counter after the last statement: the size of the server routine table
  /// (trailing `skip`s count).
  public var messageIDCount: UInt32
  public var imports: [Import]
  /// The last `rcsid` string (with its quotes), if any.
  public var rcsID: String?
  /// For a type fragment: the type names it uses without declaring them, expected from the file
  /// that includes it (`machine_types.defs` uses `uint32_t` from `std_types.defs`). Types that
  /// depend on them are left out of `types`. Always empty for an interface (there an unknown
  /// name is an error).
  public var externalTypes: [String]

  public init(
    subsystem: Subsystem?, isTypeFragment: Bool, portSizeInBits: UInt32, types: [ResolvedType],
    routines: [CheckedRoutine], messageIDCount: UInt32, imports: [Import], rcsID: String?,
    externalTypes: [String] = []
  ) {
    self.subsystem = subsystem
    self.isTypeFragment = isTypeFragment
    self.portSizeInBits = portSizeInBits
    self.types = types
    self.routines = routines
    self.messageIDCount = messageIDCount
    self.imports = imports
    self.rcsID = rcsID
    self.externalTypes = externalTypes
  }

  /// The named type `name`, if declared.
  public func type(named name: String) -> ResolvedType? { types.first { $0.name == name } }
  /// The routine `name` (the first one if GNU-style duplicates were diagnosed).
  public func routine(named name: String) -> CheckedRoutine? { routines.first { $0.name == name } }
}
