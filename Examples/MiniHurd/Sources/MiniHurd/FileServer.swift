// The file server: files held in memory, a directory to look them up in, and a control port.
// As in the Hurd, every capability it hands out is a protid: a node opened for one user.
import Dispatch
import HurdCap
import HurdRPC
import Synchronization

/// A file in memory (or a pipe, whose reader waits for data).
final class Node: Sendable {
  let name: String
  let owner: Int32
  let isPipe: Bool
  let contents: Mutex<[UInt8]>

  init(_ name: String, owner: Int32, isPipe: Bool = false, text: String = "") {
    self.name = name
    self.owner = owner
    self.isPipe = isPipe
    contents = Mutex(Array(text.utf8))
  }
}

/// A node opened for a user (`struct protid` in the Hurd's libdiskfs).
final class Protid: CapObject, @unchecked Sendable {
  let node: Node
  let uid: Int32
  init(_ node: Node, uid: Int32) {
    self.node = node
    self.uid = uid
  }
}

/// The file server's control port.
final class Control: CapObject, @unchecked Sendable {}

/// The files of the one directory, and the cues that let the story print in order.
struct FileSystem: Sendable {
  let files: [String: Node]
  let root = Node("/", owner: 0)
  /// Signalled when a pipe's reader blocks, and when it has left after a cancellation.
  let readerBlocked = DispatchSemaphore(value: 0)
  let readerLeft = DispatchSemaphore(value: 0)

  init(_ nodes: [Node]) { files = Dictionary(uniqueKeysWithValues: nodes.map { ($0.name, $0) }) }

  /// The files of the story: alice's notes, root's secret, and a pipe nobody writes to.
  static func ofTheStory() -> FileSystem {
    FileSystem([
      Node("notes.txt", owner: 1000, text: "Dear diary,\ntoday I met a multiserver system.\n"),
      Node("secret", owner: 0, text: "root's secret"),
      Node("pipe", owner: 0, isPipe: true),
    ])
  }
}

/// The file server's classes of objects, each served by its generated demux.
struct FileServerClasses {
  let files: CapClass
  let directories: CapClass
  let controls: CapClass

  init(server: some ServerHost, fileSystem: FileSystem) {
    files = CapClass(name: "file", targeted: IODemux(FileIOService(fileSystem: fileSystem)))
    directories = CapClass(
      name: "directory", targeted: FSDemux(DirectoryService(server: server, fileSystem: fileSystem, files: files)))
    controls = CapClass(
      name: "fsys", targeted: FsysDemux(FsysService(server: server, fileSystem: fileSystem, directories: directories)))
  }
}

/// `fsys_getroot`: the root directory for whoever the caller's auth handle says it is.
struct FsysService<Host: ServerHost>: FsysServer {
  let server: Host
  let fileSystem: FileSystem
  let directories: CapClass

  func fsysGetroot(_ fsys: Control, auth: CapabilityName, context: CallContext) throws(ReturnCode) -> CapabilityName {
    // The handle arrived as a send right in this task's space: ask its server who it stands for.
    defer { server.deallocate(auth) }
    let uid: Int32
    do throws(RPCError) {
      uid = try server.client(for: auth, AuthClient.init(transport:)).authGetids()
    } catch {
      throw .EACCES
    }
    print("fs: fsys_getroot: the auth server says the caller is uid \(uid)")
    return try server.publish(Protid(fileSystem.root, uid: uid), in: directories)
  }
}

/// `dir_lookup`: opens a file for the user the directory was opened for.
struct DirectoryService<Host: ServerHost>: FSServer {
  let server: Host
  let fileSystem: FileSystem
  let files: CapClass

  func dirLookup(_ directory: Protid, fileName: String, context: CallContext) throws(ReturnCode) -> CapabilityName {
    guard let node = fileSystem.files[fileName] else { throw .ENOENT }
    guard node.owner == directory.uid || node.isPipe else { throw .EACCES }
    return try server.publish(Protid(node, uid: directory.uid), in: files)
  }
}

/// `io_read` and `io_write` on an open file.
struct FileIOService: IOServer {
  let fileSystem: FileSystem

  func ioWrite(_ file: Protid, data: [UInt8], offset: Int64, context: CallContext) throws(ReturnCode) -> Int64 {
    guard offset >= 0 else { throw .EINVAL }
    file.node.contents.withLock { bytes in
      let end = Int(offset) + data.count
      if bytes.count < end { bytes += repeatElement(0, count: end - bytes.count) }
      bytes.replaceSubrange(Int(offset)..<end, with: data)
    }
    return Int64(data.count)
  }

  func ioRead(_ file: Protid, offset: Int64, amount: Int64, context: CallContext) throws(ReturnCode) -> [UInt8] {
    guard offset >= 0, amount >= 0 else { throw .EINVAL }
    if file.node.isPipe { try waitForData(file.node, context: context) }
    return file.node.contents.withLock { bytes in
      let start = min(Int(offset), bytes.count)
      return Array(bytes[start..<min(bytes.count, start + Int(clamping: amount))])
    }
  }

  /// Nobody writes to the pipe in this story: the reader waits until its caller cancels.
  private func waitForData(_ pipe: Node, context: CallContext) throws(ReturnCode) {
    print("fs: io_read on \(pipe.name) waits for data")
    let cancelled = DispatchSemaphore(value: 0)
    context.onCancel { cancelled.signal() }
    fileSystem.readerBlocked.signal()
    cancelled.wait()
    print("fs: the reader of \(pipe.name) went away; its handler sees the cancellation and stops")
    fileSystem.readerLeft.signal()
    throw .EINTR
  }
}
