// MiniHurd: a small multiserver system in the Hurd's style, on hurdidl's L4 in-process backend.
// An auth server, a file server and a print spooler each run in their own task (L4 address
// space); alice's task is a client. Every call goes through a capability (HurdCap) and the
// Swift generated from the .defs files next to this one.
import Foundation
import HurdCap
import HurdRPC
import HurdRPCL4

let system = MiniSystem()

// MARK: Boot: the servers start; alice gets what a new Hurd process inherits.
let authServer = system.server("auth")
let identities = CapClass(name: "identity", targeted: AuthDemux(AuthService(server: authServer)))

let fileServer = system.server("fs")
let fileSystem = FileSystem([
  Node("notes.txt", owner: 1000, text: "Dear diary,\ntoday I met a multiserver system.\n"),
  Node("secret", owner: 0, text: "root's secret"),
  Node("pipe", owner: 0, isPipe: true),
])
let files = CapClass(name: "file", targeted: IODemux(FileIOService(fileSystem: fileSystem)))
let directories = CapClass(
  name: "directory", targeted: FSDemux(DirectoryService(server: fileServer, fileSystem: fileSystem, files: files)))
let controls = CapClass(
  name: "fsys", targeted: FsysDemux(FsysService(server: fileServer, fileSystem: fileSystem, directories: directories)))

let spooler = system.server("lpr")
let printers = CapClass(name: "printer", targeted: LprDemux(PrintService(task: spooler.task)))
let printer = Printer()

let alice = system.task("alice")
let nobodyAuth = try authServer.give(Identity(uid: AuthService.nobody), in: identities, to: alice)
let fsys = try fileServer.give(Control(), in: controls, to: alice)
let lpr = try spooler.give(printer, in: printers, to: alice)
print("boot: auth, fs and lpr serve from their own tasks; alice holds an auth handle for nobody,")
print("boot: the file system's control port and the printer")

// MARK: 1. Authenticate, then look up files as that user.
print("\n1. authentication and lookup")
let aliceAuth = try alice.client(for: nobodyAuth, AuthClient.init(transport:))
  .authLogin(user: "alice", password: "wonderland")
print("alice: auth_login(\"alice\") -> a new auth handle")
let root = try alice.client(for: fsys, FsysClient.init(transport:)).fsysGetroot(auth: aliceAuth)
print("alice: fsys_getroot -> the root directory, opened for her")
let directory = try alice.client(for: root, FSClient.init(transport:))
do {
  _ = try directory.dirLookup(fileName: "secret")
} catch {
  print("alice: dir_lookup(\"secret\") refused: \(reason(error))")
}
let notes = try directory.dirLookup(fileName: "notes.txt")
print("alice: dir_lookup(\"notes.txt\") -> a capability to the file")

// MARK: 2. Read and write through the capability; large data travels out of line.
print("\n2. io_read and io_write")
let file = try alice.client(for: notes) { IOClient(rpc: RPCClient(transport: $0, interceptors: [OutOfLineTrace()])) }
let text = try file.ioRead(offset: 0, amount: 11)
print("alice: io_read(0, 11) -> \"\(String(decoding: text, as: UTF8.self))\"")
let large = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 * 7) }
print("alice: io_write of 64 KiB at offset 4096 wrote \(try file.ioWrite(data: large, offset: 4096)) bytes")
let back = try file.ioRead(offset: 4096, amount: 65_536)
print("alice: io_read of 64 KiB -> \(back == large ? "the same bytes" : "different bytes!")")

// MARK: 3. Pass the capability to a third task, which uses it.
print("\n3. passing the capability to the spooler")
try alice.client(for: lpr, LprClient.init(transport:)).lprPrint(file: notes)
let notesFile = fileServer.object(named: notes, by: alice)!
print("alice: lpr_print(notes.txt) returned; the file server counts \(notesFile.referenceCount) holders of the file")

// MARK: 4. Cancellation: a read that would wait forever, cancelled by Swift task cancellation.
print("\n4. cancellation")
let pipeName = try directory.dirLookup(fileName: "pipe")
let pipe = try alice.client(for: pipeName, IOClient.init(transport:))
let slowRead = Task.detached { try await pipe.ioRead(offset: 0, amount: 1) }
fileSystem.readerBlocked.wait()
print("alice: cancels the task that waits for the pipe")
slowRead.cancel()
let outcome = await slowRead.result
fileSystem.readerLeft.wait()  // so the server's line prints first
if case .failure(let error as RPCError) = outcome {
  print("alice: the read ended: \(reason(error)) (the server had received it; \"cancelled\" if it had not)")
}

// MARK: 5. Inhibition: the server reorganises the file; a call on it waits, then proceeds.
print("\n5. inhibition")
fileServer.bucket.inhibit(.object(notesFile))
print("fs: inhibits notes.txt while it reorganises its blocks")
let waitingRead = Task.detached { try await file.ioRead(offset: 0, amount: 4) }
while fileServer.bucket.callsInFlight == 0 { try await Task.sleep(for: .milliseconds(1)) }
print("fs: \(fileServer.bucket.callsInFlight) call waits on notes.txt; reorganised, resuming")
fileServer.bucket.resume(.object(notesFile))
print("alice: io_read after the wait -> \"\(String(decoding: try await waitingRead.value, as: UTF8.self))\"")

// MARK: 6. Revocation: every capability to the pipe dies at once.
print("\n6. revocation")
fileServer.bucket.revoke(fileServer.object(named: pipeName, by: alice)!)
print("fs: revokes the pipe")
do {
  _ = try pipe.ioRead(offset: 0, amount: 1)
} catch {
  print("alice: io_read on the pipe fails: \(reason(error))")
}
for name in alice.pollDeadNames() where name == pipeName {
  print("alice: dead-name notification: pipe")
}

// MARK: 7. The file server shuts down: every holder gets a dead-name notification.
print("\n7. shutdown")
fileServer.shutdown()
print("fs: shut down")
let aliceNames = [fsys: "the fsys control port", root: "the root directory", notes: "notes.txt"]
for name in alice.pollDeadNames() {
  print("alice: dead-name notification: \(aliceNames[name] ?? "\(name)")")
}
for name in spooler.task.pollDeadNames() where printer.queue.withLock({ $0.contains(name) }) {
  print("lpr: dead-name notification: its copy of notes.txt")
}
do {
  _ = try file.ioRead(offset: 0, amount: 4)
} catch {
  print("alice: io_read on notes.txt fails: \(reason(error)) (nobody serves it any more)")
}
authServer.shutdown()
spooler.shutdown()
print("done")

/// How an error reads in the story.
func reason(_ error: RPCError) -> String {
  switch error.code {
  case .returnCode(.EACCES): "EACCES"
  case .returnCode(.capDied): "the capability died"
  default: "\(error.code)"
  }
}
