public import HurdIDLSource

extension SourceRange {
  /// The range every node gets from `withoutLocations()`: buffer -1, line 0, column 0.
  public static let stripped = SourceRange(SourceLocation(buffer: BufferID(rawValue: -1), line: 0, column: 0))
}

// `withoutLocations()` replaces every source range by ``SourceRange/stripped`` so that two trees
// can be compared by structure alone (the printer round trip, tests).

extension DefsFile {
  public func withoutLocations() -> DefsFile {
    DefsFile(statements: statements.map { $0.withoutLocations() }, range: .stripped)
  }
}

extension Identifier {
  public func withoutLocations() -> Identifier { Identifier(name, range: .stripped) }
}

extension NumberLiteral {
  public func withoutLocations() -> NumberLiteral { NumberLiteral(value, range: .stripped) }
}

extension Located {
  public func withoutLocations() -> Located { Located(value, range: .stripped) }
}

extension Statement {
  public func withoutLocations() -> Statement {
    switch self {
    case .subsystem(let node):
      .subsystem(
        SubsystemDecl(
          modifiers: node.modifiers.map { $0.withoutLocations() }, name: node.name.withoutLocations(),
          base: node.base.withoutLocations(), range: .stripped))
    case .nameOption(let node):
      .nameOption(NameOption(kind: node.kind, name: node.name.withoutLocations(), range: .stripped))
    case .messageOption(let node):
      .messageOption(MessageOption(kind: node.kind, value: node.value?.withoutLocations(), range: .stripped))
    case .import(let node):
      .import(ImportDecl(kind: node.kind, fileName: node.fileName.withoutLocations(), range: .stripped))
    case .rcsid(let node):
      .rcsid(RCSIDDecl(string: node.string.withoutLocations(), range: .stripped))
    case .type(let node):
      .type(node.withoutLocations())
    case .routine(let node):
      .routine(node.withoutLocations())
    case .skip(let node):
      .skip(SkipDecl(count: node.count?.withoutLocations(), range: .stripped))
    case .empty:
      .empty(.stripped)
    }
  }
}

extension TypeDecl {
  public func withoutLocations() -> TypeDecl {
    TypeDecl(
      name: name.withoutLocations(), spec: spec.withoutLocations(),
      annotations: annotations.map { $0.withoutLocations() }, range: .stripped)
  }
}

extension Annotation {
  public func withoutLocations() -> Annotation {
    let stripped: Kind =
      switch kind {
      case .cType(let type): .cType(type.withoutLocations())
      case .cUserType(let type): .cUserType(type.withoutLocations())
      case .cServerType(let type): .cServerType(type.withoutLocations())
      case .inTran(let trans, let function, let server):
        .inTran(
          transType: trans.withoutLocations(), function: function.withoutLocations(),
          serverType: server.withoutLocations())
      case .inTranPayload(let trans, let function):
        .inTranPayload(transType: trans.withoutLocations(), function: function.withoutLocations())
      case .outTran(let server, let function, let trans):
        .outTran(
          serverType: server.withoutLocations(), function: function.withoutLocations(),
          transType: trans.withoutLocations())
      case .destructor(let function, let trans):
        .destructor(function: function.withoutLocations(), transType: trans.withoutLocations())
      }
    return Annotation(kind: stripped, range: .stripped)
  }
}

extension TypeSpec {
  public func withoutLocations() -> TypeSpec {
    let stripped: Kind =
      switch kind {
      case .ipc(let ipc): .ipc(ipc.withoutLocations())
      case .longForm(let ipc, let size, let flags):
        .longForm(ipc: ipc.withoutLocations(), size: size.withoutLocations(), flags: flags.map { $0.withoutLocations() })
      case .reference(let name): .reference(name.withoutLocations())
      case .array(let bound, let element):
        .array(bound: bound.withoutLocations(), element: element.withoutLocations())
      case .structArray(let count, let element):
        .structArray(count: count.withoutLocations(), element: element.withoutLocations())
      case .structure(let members): .structure(members: members.map { $0.withoutLocations() })
      case .outOfLine(let element): .outOfLine(element.withoutLocations())
      case .cString(.fixed(let size)): .cString(.fixed(size.withoutLocations()))
      case .cString(.variable(let size)): .cString(.variable(size.withoutLocations()))
      }
    return TypeSpec(kind: stripped, range: .stripped)
  }
}

extension ArrayBound {
  public func withoutLocations() -> ArrayBound {
    switch self {
    case .unspecified, .star: self
    case .bounded(let size): .bounded(size.withoutLocations())
    case .fixed(let size): .fixed(size.withoutLocations())
    }
  }
}

extension StructMember {
  public func withoutLocations() -> StructMember {
    StructMember(type: type.withoutLocations(), name: name.withoutLocations(), range: .stripped)
  }
}

extension IPCType {
  public func withoutLocations() -> IPCType {
    IPCType(send: send.withoutLocations(), receive: receive?.withoutLocations(), range: .stripped)
  }
}

extension IPCName {
  public func withoutLocations() -> IPCName { IPCName(kind: kind, range: .stripped) }
}

extension IntExpr {
  public func withoutLocations() -> IntExpr {
    let stripped: Kind =
      switch kind {
      case .number: kind
      case .binary(let op, let lhs, let rhs): .binary(op, lhs.withoutLocations(), rhs.withoutLocations())
      case .parenthesized(let inner): .parenthesized(inner.withoutLocations())
      }
    return IntExpr(kind: stripped, range: .stripped)
  }
}

extension FlagUse {
  public func withoutLocations() -> FlagUse { FlagUse(flag: flag, isVariable: isVariable, range: .stripped) }
}

extension RoutineDecl {
  public func withoutLocations() -> RoutineDecl {
    RoutineDecl(
      kind: kind, name: name.withoutLocations(), arguments: arguments.map { $0.withoutLocations() }, range: .stripped)
  }
}

extension Argument {
  public func withoutLocations() -> Argument {
    let strippedType: ArgumentType =
      switch type {
      case .reference(let name): .reference(name.withoutLocations())
      case .inline(let decl): .inline(decl.withoutLocations())
      }
    return Argument(
      direction: direction?.withoutLocations(), name: name.withoutLocations(), type: strippedType,
      flags: flags.map { $0.withoutLocations() }, range: .stripped)
  }
}
