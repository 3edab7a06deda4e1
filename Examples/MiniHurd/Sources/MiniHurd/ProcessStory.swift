// MiniHurd with one process per server (`MiniHurd --processes`): auth, fs and lpr are processes of
// their own, spawned from this executable; this process is alice and serves the bootstrap name
// service. The handlers and the generated code are the ones of the one-process mode; calls and
// capabilities cross process boundaries on HurdRPCSocket.
import Foundation
import HurdCap
import HurdRPC
import HurdRPCSocket

#if canImport(Glibc)
  import Glibc
#endif

/// The story of README.md across processes. Throws if a server process fails; the caller kills
/// what is left (`ProcessTree.killAll`). With `pause`, it waits before that step until a line
/// (or the end) comes on standard input: time to look at the processes (`ps`, `/proc/PID/fd`),
/// or to kill one and see what happens.
func tellTheStoryAcrossProcesses(pausingBefore pause: Int? = nil) async throws {
  lineBufferStandardOutput()

  // MARK: Boot: the bootstrap name service, then the servers, each registering its first capability.
  var template = Array("/tmp/minihurd-XXXXXX".utf8CString)
  guard let folder = mkdtemp(&template).map({ String(cString: $0) }) else {
    throw MiniHurdError("cannot make a folder for the bootstrap socket (errno \(errno))")
  }
  defer { rmdir(folder) }
  let bootstrapPath = folder + "/bootstrap"
  // The name service is a task of its own in this process: the capabilities registered with it
  // are in its own space, not alice's.
  let registry = SocketCapabilitySpace()
  let nameServer = try SocketServerTransport(
    path: bootstrapPath, configuration: SocketTransportConfiguration(capabilities: registry))
  defer { nameServer.shutdown() }
  let nameService = RequestDispatcher(SocketNameService(space: registry))
  Thread { try? nameServer.serve(nameService) }.start()

  let authServer = try ServerProcess("auth", bootstrap: bootstrapPath)
  let fileServer = try ServerProcess("fs", bootstrap: bootstrapPath)
  let spooler = try ServerProcess("lpr", bootstrap: bootstrapPath)
  let alice = try SocketTask()
  let bootstrap = SocketClientTransport(path: bootstrapPath, configuration: alice.capabilities.configuration())
  let nobodyAuth = try SocketNameService.lookup("auth", at: bootstrap)
  let fsys = try SocketNameService.lookup("fsys", at: bootstrap)
  let lpr = try SocketNameService.lookup("lpr", at: bootstrap)
  print("boot: auth, fs and lpr are processes of their own; each registered its first capability")
  print("boot: with the name service on alice's bootstrap socket, where alice looked up an auth")
  print("boot: handle for nobody, the file system's control port and the printer")

  // MARK: 1. Authenticate, then look up files as that user.
  chapter(1, "authentication and lookup", pausingBefore: pause)
  let aliceAuth = try await alice.client(for: nobodyAuth, AuthClient.init(transport:))
    .authLogin(user: "alice", password: "wonderland")
  print("alice: auth_login(\"alice\") -> a new auth handle")
  let root = try await alice.client(for: fsys, FsysClient.init(transport:)).fsysGetroot(auth: aliceAuth)
  print("alice: fsys_getroot -> the root directory, opened for her")
  let directory = try alice.client(for: root, FSClient.init(transport:))
  do {
    _ = try await directory.dirLookup(fileName: "secret")
  } catch {
    print("alice: dir_lookup(\"secret\") refused: \(reason(error))")
  }
  let notes = try await directory.dirLookup(fileName: "notes.txt")
  print("alice: dir_lookup(\"notes.txt\") -> a capability to the file")

  // MARK: 2. Read and write through the capability; large data travels out of line (a memfd).
  chapter(2, "io_read and io_write", pausingBefore: pause)
  let file = try alice.client(for: notes) { IOClient(rpc: RPCClient(transport: $0, interceptors: [OutOfLineTrace()])) }
  let text = try await file.ioRead(offset: 0, amount: 11)
  print("alice: io_read(0, 11) -> \"\(String(decoding: text, as: UTF8.self))\"")
  let large = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 * 7) }
  print("alice: io_write of 64 KiB at offset 4096 wrote \(try await file.ioWrite(data: large, offset: 4096)) bytes")
  let back = try await file.ioRead(offset: 4096, amount: 65_536)
  print("alice: io_read of 64 KiB -> \(back == large ? "the same bytes" : "different bytes!")")

  // MARK: 3. Pass the capability to a third process, which uses it.
  chapter(3, "passing the capability to the spooler", pausingBefore: pause)
  try await alice.client(for: lpr, LprClient.init(transport:)).lprPrint(file: notes)
  print("alice: lpr_print(notes.txt) returned")

  // MARK: 4. Cancellation: a read that would wait forever, cancelled by Swift task cancellation.
  chapter(4, "cancellation", pausingBefore: pause)
  let pipeName = try await directory.dirLookup(fileName: "pipe")
  let pipe = try alice.client(for: pipeName, IOClient.init(transport:))
  let slowRead = Task.detached { try await pipe.ioRead(offset: 0, amount: 1) }
  try fileServer.tell("wait-for-pipe-reader")
  print("alice: cancels the task that waits for the pipe")
  slowRead.cancel()
  let outcome = await slowRead.result
  try fileServer.tell("wait-until-pipe-reader-left")  // so the server's line prints first
  if case .failure(let error as RPCError) = outcome {
    print("alice: the read ended: \(reason(error)) (the server had received it; \"cancelled\" if it had not)")
  }

  // MARK: 5. Inhibition: the server reorganises the file; a call on it waits, then proceeds.
  chapter(5, "inhibition", pausingBefore: pause)
  try fileServer.tell("inhibit-notes")
  let waitingRead = Task.detached { try await file.ioRead(offset: 0, amount: 4) }
  try fileServer.tell("resume-notes-once-a-call-waits")
  print("alice: io_read after the wait -> \"\(String(decoding: try await waitingRead.value, as: UTF8.self))\"")

  // MARK: 6. Revocation: every capability to the pipe dies at once.
  chapter(6, "revocation", pausingBefore: pause)
  try fileServer.tell("revoke-pipe")
  do {
    _ = try await pipe.ioRead(offset: 0, amount: 1)
  } catch {
    print("alice: io_read on the pipe fails: \(reason(error))")
  }
  for name in alice.waitForDeadNames([pipeName]) where name == pipeName {
    print("alice: dead-name notification: pipe")
  }

  // MARK: 7. The file server shuts down: every holder gets a dead-name notification.
  chapter(7, "shutdown", pausingBefore: pause)
  try fileServer.tell("shutdown")
  let aliceNames = [fsys: "the fsys control port", root: "the root directory", notes: "notes.txt"]
  for name in alice.waitForDeadNames(Set(aliceNames.keys)) {
    print("alice: dead-name notification: \(aliceNames[name] ?? "\(name)")")
  }
  try spooler.tell("report-dead-names")
  do {
    _ = try await file.ioRead(offset: 0, amount: 4)
  } catch {
    print("alice: io_read on notes.txt fails: \(reason(error)) (nobody serves it any more)")
  }
  for server in [authServer, fileServer, spooler] { try server.finish() }
  print("done")
}

/// Prints the heading of step `number`; pauses first if it is the step to pause before.
private func chapter(_ number: Int, _ title: String, pausingBefore pause: Int?) {
  if number == pause {
    FileHandle.standardError.write(Data("MiniHurd: paused before step \(number) (pid \(getpid())); press Return to go on\n".utf8))
    _ = readLine()
  }
  print("\n\(number). \(title)")
}
