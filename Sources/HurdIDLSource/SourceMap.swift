/// One inclusion of a file (or of command-line text) with its bytes and line table.
public struct SourceBuffer: Sendable {
  /// What produced the buffer's text.
  public enum Kind: String, Sendable, Codable {
    /// A file read through the include resolver (the main file or an `#include`).
    case file
    /// Text synthesised from command-line options (`-D`, `-U`).
    case commandLine = "command line"
    /// The target's predefined macros.
    case builtin = "built-in"
  }

  public let id: BufferID
  /// The path shown in diagnostics, as the include resolver spelled it.
  public let path: String
  public let kind: Kind
  /// The raw bytes. Arrays are copy-on-write, so including a file twice shares its storage.
  public let bytes: [UInt8]
  /// Where the `#include` that opened this buffer stands; `nil` for the main file.
  public let includedFrom: SourceLocation?
  /// Byte offset of the start of each line; `lineStarts[0] == 0`.
  public let lineStarts: [Int]

  public init(id: BufferID, path: String, kind: Kind, bytes: [UInt8], includedFrom: SourceLocation?) {
    self.id = id
    self.path = path
    self.kind = kind
    self.bytes = bytes
    self.includedFrom = includedFrom
    var starts = [0]
    for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
      starts.append(offset + 1)
    }
    self.lineStarts = starts
  }

  /// The text of a 1-based line, without its line terminator; `nil` when out of range.
  public func lineText(_ line: Int32) -> String? {
    let index = Int(line) - 1
    guard index >= 0, index < lineStarts.count else { return nil }
    let start = lineStarts[index]
    var end = index + 1 < lineStarts.count ? lineStarts[index + 1] - 1 : bytes.count
    if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
    return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
  }
}

/// A recorded macro expansion: which macro, where it was invoked, where it was defined.
public struct MacroExpansion: Sendable, Hashable, Codable {
  public let macroName: String
  /// The invocation site (itself possibly inside another expansion).
  public let site: SourceLocation
  /// Where the macro was `#define`d (`nil` for built-in macros such as `__LINE__`).
  public let definition: SourceLocation?

  public init(macroName: String, site: SourceLocation, definition: SourceLocation?) {
    self.macroName = macroName
    self.site = site
    self.definition = definition
  }
}

/// Every buffer and macro expansion of one compilation. A plain value: the preprocessor builds
/// it, later stages and diagnostic renderers only read it.
public struct SourceMap: Sendable {
  public private(set) var buffers: [SourceBuffer] = []
  public private(set) var expansions: [MacroExpansion] = []

  public init() {}

  /// Adds a buffer and returns its id.
  @discardableResult
  public mutating func addBuffer(
    path: String, kind: SourceBuffer.Kind = .file, bytes: [UInt8], includedFrom: SourceLocation? = nil
  ) -> BufferID {
    let id = BufferID(rawValue: Int32(buffers.count))
    buffers.append(SourceBuffer(id: id, path: path, kind: kind, bytes: bytes, includedFrom: includedFrom))
    return id
  }

  /// Records a macro expansion and returns its id.
  public mutating func addExpansion(_ expansion: MacroExpansion) -> ExpansionID {
    expansions.append(expansion)
    return ExpansionID(rawValue: Int32(expansions.count - 1))
  }

  public subscript(id: BufferID) -> SourceBuffer { buffers[Int(id.rawValue)] }
  public subscript(id: ExpansionID) -> MacroExpansion { expansions[Int(id.rawValue)] }

  /// The location a user should look at: for a token produced by a macro, the outermost
  /// invocation site in the text they wrote.
  public func userLocation(_ location: SourceLocation) -> SourceLocation {
    var current = location
    while let expansion = current.expansion {
      current = self[expansion].site
    }
    return current
  }

  /// The chain of macro expansions from innermost to outermost.
  public func expansionChain(_ location: SourceLocation) -> [MacroExpansion] {
    var chain: [MacroExpansion] = []
    var next = location.expansion
    while let id = next {
      let expansion = self[id]
      chain.append(expansion)
      next = expansion.site.expansion
    }
    return chain
  }

  /// The `#include` sites that led to `buffer`, innermost first.
  public func includeChain(_ buffer: BufferID) -> [SourceLocation] {
    var chain: [SourceLocation] = []
    var next = self[buffer].includedFrom
    while let site = next {
      chain.append(site)
      next = self[site.buffer].includedFrom
    }
    return chain
  }
}
