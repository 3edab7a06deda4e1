/// How `.defs` names become Swift names.
public enum NamingStyle: String, Sendable, Hashable, Codable, CaseIterable {
  /// Swift API guidelines: `dir_lookup` → `dirLookup`, subsystem `fs` → `FS…` types.
  case swift
  /// Names exactly as the `.defs` writes them (keywords escaped); type names still get a prefix
  /// from the subsystem in type case so they cannot clash with the routine names.
  case defs
}

/// Turns `.defs` identifiers into Swift identifiers.
public struct SwiftNaming: Sendable, Hashable {
  public var style: NamingStyle

  public init(style: NamingStyle) { self.style = style }

  /// Components written in capitals in Swift (`fs` → `FS`, `dir_lookup_id` → `dirLookupID`).
  static let acronyms: Set<String> = [
    "fs", "io", "vm", "ipc", "rpc", "id", "ids", "tty", "cpu", "ip", "irq", "uid", "gid", "pid", "url", "api",
  ]

  static let keywords: Set<String> = [
    "associatedtype", "borrowing", "class", "consuming", "deinit", "enum", "extension", "fileprivate", "func",
    "import", "init", "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol",
    "public", "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch",
    "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return",
    "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self", "super",
    "throws", "true", "try", "package", "Type", "Protocol",
  ]

  /// A method, parameter or property name.
  public func member(_ name: String) -> String {
    switch style {
    case .defs: return Self.escaped(name)
    case .swift: return Self.escaped(Self.lowerCamelCase(name))
    }
  }

  /// A type name; in `.defs` style the written name with its first letter capitalised.
  public func type(_ name: String) -> String {
    switch style {
    case .defs:
      return Self.escaped(name.prefix(1).uppercased() + name.dropFirst())
    case .swift:
      return Self.escaped(Self.components(of: name).map(Self.upperComponent).joined())
    }
  }

  /// `dir_lookup` → `dirLookup`; `_foo_bar` → `fooBar`; `mach_port_ID` → `machPortID`.
  static func lowerCamelCase(_ name: String) -> String {
    let parts = components(of: name)
    guard let first = parts.first else { return name }
    let head = acronyms.contains(first.lowercased()) || first == first.uppercased() ? first.lowercased() : lowerFirst(first)
    return head + parts.dropFirst().map(upperComponent).joined()
  }

  static func components(of name: String) -> [String] {
    name.split(separator: "_").map(String.init)
  }

  static func upperComponent(_ part: String) -> String {
    acronyms.contains(part.lowercased()) ? part.uppercased() : part.prefix(1).uppercased() + part.dropFirst()
  }

  static func lowerFirst(_ part: String) -> String { part.prefix(1).lowercased() + part.dropFirst() }

  /// Backticks around a Swift keyword; a name starting with a digit gets a leading underscore.
  static func escaped(_ name: String) -> String {
    if name.isEmpty { return "_" }
    if let first = name.first, first.isNumber { return "_" + name }
    return keywords.contains(name) ? "`\(name)`" : name
  }
}
