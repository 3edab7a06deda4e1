// The server processes of the one-process-per-server mode (`MiniHurd serve ROLE --bootstrap PATH`):
// each starts the same services as its L4 task, registers its first capability with the name
// service on the bootstrap socket, then does what its control channel (standard input) says.
import Foundation
import HurdCap
import HurdRPC
import HurdRPCSocket

#if canImport(Glibc)
  import Glibc
#endif

/// What a server process can be told to do, by command word (the narrator's cues).
typealias ServerCommands = [String: () throws(MiniHurdError) -> Void]

/// Runs this process as the server `role` until its control channel closes.
func runServerProcess(_ role: String) -> Never {
  // First thing: the kernel kills this server when the story's process dies (even by kill -9).
  ChildProcess.dieWithParent()
  // Lines must reach the shared standard output before the reply that follows them.
  lineBufferStandardOutput()
  let control = ControlChannel(fd: 0)
  do {
    let commands: ServerCommands
    switch role {
    case "auth": commands = try startAuthServer()
    case "fs": commands = try startFileServer()
    case "lpr": commands = try startSpooler()
    default: throw MiniHurdError("no server role \(role) (auth, fs, lpr)")
    }
    try control.send("ready")
    while let command = control.receive() {
      guard let run = commands[command] else { throw MiniHurdError("\(role): unknown command \(command)") }
      try run()
      try control.send("done")
    }
    exit(0)  // the control channel closed: the story is over (or its teller died)
  } catch {
    FileHandle.standardError.write(Data("MiniHurd \(role): \(error)\n".utf8))
    exit(1)
  }
}

/// Registers `name` (a receive right of this process) as `service` with the bootstrap name service.
private func register(_ service: String, _ name: CapabilityName, by server: SocketServerTask) throws(MiniHurdError) {
  do throws(RPCError) {
    let bootstrap = try SocketBootstrap.client(configuration: server.task.capabilities.configuration())
    try SocketNameService.register(service, CapabilityItem(name, disposition: .makeSend), at: bootstrap)
  } catch {
    throw MiniHurdError("registering \(service) with the name service: \(error)")
  }
}

/// This process as a server task.
private func serverTask() throws(MiniHurdError) -> SocketServerTask {
  do throws(RPCError) {
    return try SocketServerTask(task: SocketTask())
  } catch {
    throw MiniHurdError("cannot start serving: \(error)")
  }
}

/// The auth server: its first object is an identity for nobody.
private func startAuthServer() throws(MiniHurdError) -> ServerCommands {
  let server = try serverTask()
  let identities = CapClass(name: "identity", targeted: AuthDemux(AuthService(server: server)))
  try register("auth", try published(Identity(uid: Identity.nobody), in: identities, by: server), by: server)
  return [:]
}

/// The file server: its first object is its control port.
private func startFileServer() throws(MiniHurdError) -> ServerCommands {
  let server = try serverTask()
  let fileSystem = FileSystem.ofTheStory()
  let classes = FileServerClasses(server: server, fileSystem: fileSystem)
  try register("fsys", try published(Control(), in: classes.controls, by: server), by: server)
  /// The protids of the file `name` (each one object of the bucket).
  func opened(_ name: String) -> [CapObject] { server.objects { ($0 as? Protid)?.node.name == name } }
  return [
    "wait-for-pipe-reader": { fileSystem.readerBlocked.wait() },
    "wait-until-pipe-reader-left": { fileSystem.readerLeft.wait() },
    "inhibit-notes": {
      for file in opened("notes.txt") { server.bucket.inhibit(.object(file)) }
      print("fs: inhibits notes.txt while it reorganises its blocks")
    },
    "resume-notes-once-a-call-waits": {
      while server.bucket.callsInFlight == 0 { Thread.sleep(forTimeInterval: 0.001) }
      print("fs: \(server.bucket.callsInFlight) call waits on notes.txt; reorganised, resuming")
      for file in opened("notes.txt") { server.bucket.resume(.object(file)) }
    },
    "revoke-pipe": {
      for pipe in opened("pipe") { server.bucket.revoke(pipe) }
      print("fs: revokes the pipe")
    },
    "shutdown": {
      server.shutdown()
      print("fs: shut down")
    },
  ]
}

/// The print spooler: its one object is the printer.
private func startSpooler() throws(MiniHurdError) -> ServerCommands {
  let server = try serverTask()
  let printer = Printer()
  let printers = CapClass(name: "printer", targeted: LprDemux(PrintService(host: server)))
  try register("lpr", try published(printer, in: printers, by: server), by: server)
  return [
    "report-dead-names": {
      let queued = Set(printer.queue.withLock { $0 })
      for name in server.task.waitForDeadNames(queued) where queued.contains(name) {
        print("lpr: dead-name notification: its copy of notes.txt")
      }
    }
  ]
}

private func published(_ object: CapObject, in objectClass: CapClass, by server: SocketServerTask)
  throws(MiniHurdError) -> CapabilityName
{
  do throws(ReturnCode) {
    return try server.publish(object, in: objectClass)
  } catch {
    throw MiniHurdError("serving the first \(objectClass.name) object: \(error)")
  }
}
