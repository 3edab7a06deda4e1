import Foundation
public import HurdIDLPreprocessor
public import HurdIDLEmitter
public import HurdIDLSource

/// The JSON configuration of `hurdidl generate` (docs/config.md, schema in
/// docs/hurdidl.schema.json). The build plugin uses the nearest `hurdidl.json` up the folder
/// tree from each `.defs`; the CLI reads one given with `--config`. Command-line flags override
/// the file; the file overrides the defaults. Unknown keys are errors: a misspelt key silently
/// ignored would generate the wrong code.
public struct GenerationConfig: Sendable, Hashable {
  /// Which side of an interface to generate.
  public enum Side: String, Sendable, Hashable, CaseIterable {
    case client, server
  }

  /// The file name the build plugin looks for.
  public static let fileName = "hurdidl.json"

  /// The keys of the file, as they are spelt in JSON (the schema test compares them with the
  /// schema's properties).
  public enum Key: String, CodingKey, CaseIterable, Sendable {
    /// Lets editors find the schema; ignored otherwise.
    case schema = "$schema"
    case sides, includePaths, defines, accessLevel, naming
    /// The C import (docs/c-import.md): `--c-check`, `--c-structs`, `--c-include`, `--c-define`,
    /// `--c-target`, `--c-prelude`.
    case cCheck, cStructs, cIncludePaths, cDefines, cTarget, cPrelude
  }

  /// `nil`: both sides.
  public var sides: [Side]?
  /// `-I` directories as written in the file (relative to the file unless absolute).
  public var includePaths: [String]
  /// `-D` definitions (`NAME` or `NAME=VALUE`), applied before the command line's.
  public var defines: [String]
  public var accessLevel: EmitterOptions.AccessLevel?
  public var naming: NamingStyle?
  /// The C import (docs/c-import.md): check every type against the C headers, and map C structs
  /// to Swift structs; C header folders (relative to the file unless absolute), C macros, the C
  /// target, and headers included before the imported ones.
  public var cCheck = false
  public var cStructs = false
  public var cIncludePaths: [String] = []
  public var cDefines: [String] = []
  public var cTarget: String?
  public var cPrelude: [String] = []

  public init(
    sides: [Side]? = nil, includePaths: [String] = [], defines: [String] = [],
    accessLevel: EmitterOptions.AccessLevel? = nil, naming: NamingStyle? = nil
  ) {
    self.sides = sides
    self.includePaths = includePaths
    self.defines = defines
    self.accessLevel = accessLevel
    self.naming = naming
  }

  /// The include paths resolved against the folder holding the config file at `path`.
  public func resolvedIncludePaths(configPath path: String) -> [String] {
    Self.resolve(includePaths, configPath: path)
  }

  /// The C include paths resolved against the folder holding the config file at `path`.
  public func resolvedCIncludePaths(configPath path: String) -> [String] {
    Self.resolve(cIncludePaths, configPath: path)
  }

  private static func resolve(_ paths: [String], configPath path: String) -> [String] {
    let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    return paths.map { include in
      if include.hasPrefix("/") { return include }
      return folder.isEmpty ? include : folder + "/" + include
    }
  }
}

/// A config file read and checked: the config, or the diagnostics saying why not (located in the
/// file, which is the only buffer of `sourceMap`).
public struct ConfigLoadResult: Sendable {
  public var config: GenerationConfig?
  public var sourceMap: SourceMap
  public var diagnostics: [Diagnostic]
}

extension DiagnosticCode {
  /// The config file is not JSON, or not a JSON object.
  public static let configInvalidJSON: DiagnosticCode = "config-invalid-json"
  /// The config file has a key hurdidl does not know.
  public static let configUnknownKey: DiagnosticCode = "config-unknown-key"
  /// A known key has a value of the wrong type or out of its set.
  public static let configInvalidValue: DiagnosticCode = "config-invalid-value"
}

extension GenerationConfig {
  /// Decodes a config file's bytes. `path` is only used in diagnostics.
  public static func load(bytes: [UInt8], path: String) -> ConfigLoadResult {
    var sourceMap = SourceMap()
    let buffer = sourceMap.addBuffer(path: path, bytes: bytes)
    let locate = { (key: String?) -> SourceLocation in
      Self.location(ofKey: key, in: sourceMap[buffer])
    }
    func failure(_ code: DiagnosticCode, _ message: String, key: String?) -> ConfigLoadResult {
      ConfigLoadResult(config: nil, sourceMap: sourceMap, diagnostics: [.error(code, message, at: locate(key))])
    }
    do {
      let config = try JSONDecoder().decode(Decoded.self, from: Data(bytes)).config
      return ConfigLoadResult(config: config, sourceMap: sourceMap, diagnostics: [])
    } catch let problem as Problem {
      return failure(problem.code, problem.message, key: problem.key)
    } catch DecodingError.typeMismatch(_, let context) {
      let key = context.codingPath.first?.stringValue
      guard let key else { return failure(.configInvalidJSON, "a config file must hold one JSON object", key: nil) }
      return failure(.configInvalidValue, "'\(key)' must be \(Self.expectedValue(key))", key: key)
    } catch DecodingError.valueNotFound(_, let context) {
      let key = context.codingPath.first?.stringValue
      return failure(.configInvalidValue, "'\(key ?? "?")' must be \(Self.expectedValue(key ?? ""))", key: key)
    } catch {
      return failure(.configInvalidJSON, "not valid JSON: \(Self.describe(error))", key: nil)
    }
  }

  private struct Problem: Error {
    var code: DiagnosticCode
    var message: String
    var key: String
  }

  private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  /// The decoder: unknown keys first (the most likely mistake), then each value.
  private struct Decoded: Decodable {
    var config = GenerationConfig()

    init(from decoder: any Decoder) throws {
      let all = try decoder.container(keyedBy: AnyKey.self)
      let known = Set(Key.allCases.map(\.rawValue))
      for key in all.allKeys.map(\.stringValue).sorted() where !known.contains(key) {
        throw Problem(
          code: .configUnknownKey,
          message: "unknown key '\(key)' (known keys: \(Key.allCases.map(\.rawValue).joined(separator: ", ")))",
          key: key)
      }
      let container = try decoder.container(keyedBy: Key.self)
      if let sides = try container.decodeIfPresent([String].self, forKey: .sides) {
        let values: [Side] = try sides.map { try Self.value($0, for: .sides) }
        // An empty list would generate nothing, and a repeated side is a slip: both say the
        // author meant something else.
        guard !values.isEmpty, Set(values).count == values.count else {
          throw Problem(
            code: .configInvalidValue, message: "'sides' must list each of \"client\", \"server\" at most once, and at least one",
            key: Key.sides.rawValue)
        }
        config.sides = values
      }
      config.includePaths = try container.decodeIfPresent([String].self, forKey: .includePaths) ?? []
      config.defines = try container.decodeIfPresent([String].self, forKey: .defines) ?? []
      if let level = try container.decodeIfPresent(String.self, forKey: .accessLevel) {
        config.accessLevel = try Self.value(level, for: .accessLevel)
      }
      if let naming = try container.decodeIfPresent(String.self, forKey: .naming) {
        config.naming = try Self.value(naming, for: .naming)
      }
      config.cCheck = try container.decodeIfPresent(Bool.self, forKey: .cCheck) ?? false
      config.cStructs = try container.decodeIfPresent(Bool.self, forKey: .cStructs) ?? false
      config.cIncludePaths = try container.decodeIfPresent([String].self, forKey: .cIncludePaths) ?? []
      config.cDefines = try container.decodeIfPresent([String].self, forKey: .cDefines) ?? []
      config.cTarget = try container.decodeIfPresent(String.self, forKey: .cTarget)
      config.cPrelude = try container.decodeIfPresent([String].self, forKey: .cPrelude) ?? []
    }

    static func value<Value: RawRepresentable<String>>(_ text: String, for key: Key) throws -> Value {
      guard let value = Value(rawValue: text) else {
        throw Problem(
          code: .configInvalidValue, message: "'\(key.rawValue)' must be \(expectedValue(key.rawValue)), not '\(text)'",
          key: key.rawValue)
      }
      return value
    }
  }

  /// What a key's value must be, for messages.
  static func expectedValue(_ key: String) -> String {
    switch Key(rawValue: key) {
    case .sides: "an array of \(Side.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))"
    case .includePaths: "an array of folder paths"
    case .defines: "an array of \"NAME\" or \"NAME=VALUE\" strings"
    case .accessLevel:
      "one of \(EmitterOptions.AccessLevel.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))"
    case .naming: "one of \(NamingStyle.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))"
    case .schema: "a string"
    case .cCheck, .cStructs: "true or false"
    case .cIncludePaths: "an array of folder paths"
    case .cDefines: "an array of \"NAME\" or \"NAME=VALUE\" strings"
    case .cTarget: "a string (x86_64, i386 or a clang target triple)"
    case .cPrelude: "an array of header names (\"<mach/message.h>\")"
    case nil: "a known key"
    }
  }

  /// Where `"key"` first appears as an object key; the file's start when it cannot be found.
  static func location(ofKey key: String?, in buffer: SourceBuffer) -> SourceLocation {
    let start = SourceLocation(buffer: buffer.id, line: 1, column: 1)
    guard let key else { return start }
    let needle = Array("\"\(key)\"".utf8)
    let bytes = buffer.bytes
    guard needle.count <= bytes.count else { return start }
    for offset in 0...(bytes.count - needle.count) where bytes[offset..<offset + needle.count].elementsEqual(needle) {
      var next = offset + needle.count
      while next < bytes.count, [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains(bytes[next]) {
        next += 1
      }
      guard next < bytes.count, bytes[next] == UInt8(ascii: ":") else { continue }
      let line = (buffer.lineStarts.lastIndex { $0 <= offset } ?? 0)
      return SourceLocation(buffer: buffer.id, line: Int32(line + 1), column: Int32(offset - buffer.lineStarts[line] + 1))
    }
    return start
  }

  private static func describe(_ error: any Error) -> String {
    if case DecodingError.dataCorrupted(let context) = error {
      let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
      return underlying ?? context.debugDescription
    }
    return "\(error)"
  }
}

/// The generation settings a command line gives; `nil` and `false` mean "not given", so the
/// config file or the default applies.
public struct GenerationFlags: Sendable, Hashable {
  public var client: Bool
  public var server: Bool
  /// The command line only (a build plugin's outputs are one self-contained file per `.defs`).
  public var shared: EmitterOptions.SharedDeclarations
  public var accessLevel: EmitterOptions.AccessLevel?
  public var naming: NamingStyle?
  /// `--module-name` (command line only: a config file may serve several modules).
  public var moduleName: String?

  public init(
    client: Bool = false, server: Bool = false, shared: EmitterOptions.SharedDeclarations = .included,
    accessLevel: EmitterOptions.AccessLevel? = nil, naming: NamingStyle? = nil, moduleName: String? = nil
  ) {
    self.moduleName = moduleName
    self.client = client
    self.server = server
    self.shared = shared
    self.accessLevel = accessLevel
    self.naming = naming
  }
}

extension GenerationConfig {
  /// The preprocessor options with this config applied: its include paths (resolved against the
  /// config file at `configPath`) after the command line's, its defines before the command
  /// line's `-D`/`-U` (which therefore win).
  public func applied(to options: PreprocessorOptions, configPath: String) -> PreprocessorOptions {
    var options = options
    options.includePaths += resolvedIncludePaths(configPath: configPath)
    options.commandLineMacros = defines.map(CommandLineMacro.define) + options.commandLineMacros
    return options
  }
}

extension GenerationRequest {
  /// A request whose settings follow the precedence flags → config → defaults: `--client` or
  /// `--server` replace the config's `sides`; without either, the config's sides, else both.
  public init(
    inputs: [FrontEndResult], includePaths: [String], flags: GenerationFlags, config: GenerationConfig,
    outputDirectory: String, outputFile: String? = nil
  ) {
    let flagged = flags.client || flags.server
    let sides = Set(config.sides ?? GenerationConfig.Side.allCases)
    self.init(
      inputs: inputs, includePaths: includePaths,
      client: flagged ? flags.client : sides.contains(.client),
      server: flagged ? flags.server : sides.contains(.server),
      accessLevel: flags.accessLevel ?? config.accessLevel ?? .internal,
      naming: flags.naming ?? config.naming ?? .swift,
      outputDirectory: outputDirectory, outputFile: outputFile)
    shared = flags.shared
    moduleName = flags.moduleName
  }
}
