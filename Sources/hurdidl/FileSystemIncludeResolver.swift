import Foundation
import HurdIDLPreprocessor

/// Reads include files from the file system in GCC's search order.
struct FileSystemIncludeResolver: IncludeResolver {
  func resolve(name: String, isAngled: Bool, includer: String?, searchPaths: [String]) -> ResolvedFile? {
    for candidate in IncludeSearch.candidates(name: name, isAngled: isAngled, includer: includer, searchPaths: searchPaths) {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
        let data = FileManager.default.contents(atPath: candidate)
      else { continue }
      return ResolvedFile(path: candidate, bytes: [UInt8](data))
    }
    return nil
  }
}
