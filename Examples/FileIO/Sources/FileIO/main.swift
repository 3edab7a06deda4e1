// A file server and its client in one process, talking over hurdidl's L4 in-process backend
// through the Swift that the build plugin generates from io.defs during the build.
import Foundation
import HurdRPC
import HurdRPCL4
import Synchronization

/// The server: one in-memory file. Handlers see the call's context, never a thread id.
final class MemoryFile: IOServer {
  private let contents = Mutex<[UInt8]>([])

  func ioWrite(_ target: Void, data: [UInt8], offset: Int64, context: CallContext) throws(ReturnCode) -> Int64 {
    guard offset >= 0 else { throw .EINVAL }
    contents.withLock { file in
      let end = Int(offset) + data.count
      if file.count < end { file.append(contentsOf: repeatElement(0, count: end - file.count)) }
      file.replaceSubrange(Int(offset)..<end, with: data)
    }
    return Int64(data.count)
  }

  func ioRead(_ target: Void, offset: Int64, amount: Int64, context: CallContext) throws(ReturnCode) -> [UInt8] {
    guard offset >= 0, amount >= 0 else { throw .EINVAL }
    return contents.withLock { file in
      let start = min(Int(offset), file.count)
      return Array(file[start..<min(file.count, start + Int(amount))])
    }
  }

  func ioSize(_ target: Void, context: CallContext) throws(ReturnCode) -> Int64 {
    Int64(contents.withLock { $0.count })
  }

  func ioSync(_ target: Void, wait: Bool, context: CallContext) throws(ReturnCode) {
    print("server: io_sync(wait: \(wait)) from \(context.caller) — one-way, nobody waits for an answer")
  }
}

let kernel = L4Kernel()
let server = L4ServerTransport(space: kernel.createSpace(), mode: .threaded)
let serverThread = Thread { try? server.serve(RequestDispatcher(IODemux(MemoryFile()))) }
serverThread.start()

let io = IOClient(transport: L4ClientTransport(space: kernel.createSpace(), server: server))
do {
  let text = Array("Hello from a Hurd-style file server.\n".utf8)
  let written = try io.ioWrite(data: text, offset: 0)
  print("client: io_write wrote \(written) bytes")
  print("client: io_size says \(try io.ioSize()) bytes")
  let back = try io.ioRead(offset: 6, amount: 4)
  print("client: io_read(offset: 6, amount: 4) -> \"\(String(decoding: back, as: UTF8.self))\"")
  try io.ioSync(wait: true)
  do {
    _ = try io.ioWrite(data: [1], offset: -1)
  } catch {
    print("client: io_write at offset -1 failed as it should: \(error.code)")
  }
} catch {
  print("client: unexpected error: \(error)")
  exit(1)
}
// The one-way io_sync may still be in flight: give the server a moment, then stop it.
Thread.sleep(forTimeInterval: 0.1)
server.shutdown()
print("done")
