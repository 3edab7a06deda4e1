import Foundation
import HurdIDLPreprocessor
import Synchronization

/// Reads include files from the file system in GCC's search order.
///
/// One resolver serves a whole CLI run, and it remembers what each path held (or that it did not
/// exist): `hurdidl check` over many interfaces reads a shared include such as `std_types.defs`
/// once, not once per input. Files are assumed not to change during one run.
final class FileSystemIncludeResolver: IncludeResolver {
  private let contentsByPath = Mutex<[String: [UInt8]?]>([:])

  func resolve(name: String, isAngled: Bool, includer: String?, searchPaths: [String]) -> ResolvedFile? {
    for candidate in IncludeSearch.candidates(name: name, isAngled: isAngled, includer: includer, searchPaths: searchPaths) {
      if let bytes = contents(of: candidate) { return ResolvedFile(path: candidate, bytes: bytes) }
    }
    return nil
  }

  private func contents(of path: String) -> [UInt8]? {
    if let known = contentsByPath.withLock({ $0[path] }) { return known }
    var isDirectory: ObjCBool = false
    let bytes: [UInt8]? =
      if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
        let data = FileManager.default.contents(atPath: path)
      {
        [UInt8](data)
      } else {
        nil
      }
    contentsByPath.withLock { $0[path] = .some(bytes) }
    return bytes
  }
}
