internal import CLibClang
import Foundation

/// The environment variable that says where libclang is: a path to the library, or `none` to act
/// as if libclang were not installed.
public enum LibClangEnvironment {
  public static let variable = "HURDIDL_LIBCLANG"
}

/// Why libclang could not be used. The message says what to install or set.
public struct LibClangUnavailable: Error, Hashable, Sendable, CustomStringConvertible {
  public var description: String

  /// What the user should do, appended to every failure to find or load libclang.
  static let remedy =
    "install libclang-dev (Debian/Ubuntu: 'apt-get install libclang-dev'), "
    + "or set HURDIDL_LIBCLANG to the path of a libclang.so"
}

/// libclang, loaded at run time so that building hurdidl needs neither libclang's headers nor
/// the library itself; only C checking and `import-c` need it.
///
/// Where it is looked for (docs/c-import.md): `HURDIDL_LIBCLANG` (a path, or `none` to act as if
/// libclang were not installed — tests use it), else the newest `/usr/lib/llvm-N/lib/libclang.so*`,
/// else `/usr/lib/<multiarch>/libclang-N.so*`, else `libclang.so` through the dynamic loader.
final class LibClang: @unchecked Sendable {
  // @unchecked: `api` is written once, before `init` returns, and only read afterwards.
  let api: HurdIDLLibClang
  let path: String
  let version: String
  /// Clang's own headers (`stddef.h`, …) beside the library (`<dir>/clang/<version>`), passed as
  /// `-resource-dir`: a libclang outside its LLVM tree (the Swift toolchain's) does not find them
  /// itself. `nil`: none there; libclang uses its built-in default.
  let resourceDirectory: String?

  static let environmentVariable = LibClangEnvironment.variable

  private init(api: HurdIDLLibClang, path: String) {
    self.api = api
    self.path = path
    let spelling = api.getClangVersion()
    self.version = api.getCString(spelling).map { String(cString: $0) } ?? "unknown version"
    api.disposeString(spelling)
    self.resourceDirectory = Self.resourceDirectory(besides: path)
  }

  static func resourceDirectory(besides library: String, fileSystem: FileManager = .default) -> String? {
    let directory = (library as NSString).deletingLastPathComponent
    guard !directory.isEmpty else { return nil }
    let clang = directory + "/clang"
    let versions = (try? fileSystem.contentsOfDirectory(atPath: clang)) ?? []
    return versions.sorted { $0.compare($1, options: .numeric) == .orderedDescending }.map { clang + "/" + $0 }
      .first { fileSystem.fileExists(atPath: $0 + "/include/stddef.h") }
  }

  static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws(LibClangUnavailable)
    -> LibClang
  {
    if let setting = environment[environmentVariable], !setting.isEmpty {
      if setting == "none" {
        throw LibClangUnavailable(
          description: "libclang not found (\(environmentVariable)=none hides it); C checking and import-c need it: "
            + LibClangUnavailable.remedy)
      }
      do { return try open(setting) } catch {
        throw LibClangUnavailable(description: error.description + "; " + LibClangUnavailable.remedy)
      }
    }
    var failures: [String] = []
    for candidate in candidates() {
      do { return try open(candidate) } catch { failures.append(error.description) }
    }
    let tried = failures.isEmpty ? "" : " (tried: " + failures.joined(separator: "; ") + ")"
    throw LibClangUnavailable(
      description: "libclang not found\(tried); C checking and import-c need it: " + LibClangUnavailable.remedy)
  }

  private static func open(_ path: String) throws(LibClangUnavailable) -> LibClang {
    var api = HurdIDLLibClang()
    var error = [CChar](repeating: 0, count: 512)
    let status = error.withUnsafeMutableBufferPointer { buffer in
      hurdidl_libclang_load(path, &api, buffer.baseAddress, buffer.count)
    }
    guard status == 0 else {
      let reason = error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
      throw LibClangUnavailable(description: "cannot load libclang from \(path): \(reason)")
    }
    return LibClang(api: api, path: path)
  }

  /// Installed libclangs, newest LLVM first.
  static func candidates(fileSystem: FileManager = .default) -> [String] {
    var found: [(version: Int, path: String)] = []
    if let entries = try? fileSystem.contentsOfDirectory(atPath: "/usr/lib") {
      for entry in entries where entry.hasPrefix("llvm-") {
        guard let version = Int(entry.dropFirst("llvm-".count)) else { continue }
        for name in ["libclang.so", "libclang.so.1", "libclang-\(version).so.1"] {
          let path = "/usr/lib/\(entry)/lib/\(name)"
          if fileSystem.fileExists(atPath: path) {
            found.append((version, path))
            break
          }
        }
      }
      for entry in entries where entry.hasSuffix("-linux-gnu") {
        let directory = "/usr/lib/\(entry)"
        for name in (try? fileSystem.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix("libclang-") {
          // libclang-14.so.1, libclang-14.so.14.0.6: the major version follows the dash.
          let digits = name.dropFirst("libclang-".count).prefix { $0.isNumber }
          guard let version = Int(digits), name.hasPrefix("libclang-\(digits).so") else { continue }
          found.append((version, "\(directory)/\(name)"))
        }
      }
    }
    let sorted = found.sorted { $0.version != $1.version ? $0.version > $1.version : $0.path < $1.path }.map(\.path)
    return sorted + ["libclang.so", "libclang.so.1"]
  }
}
