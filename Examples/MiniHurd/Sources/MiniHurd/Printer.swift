// The print spooler: a third task that is handed a capability to a file and uses it itself.
import HurdCap
import HurdRPC
import Synchronization

/// The spooler's one object, its printer.
final class Printer: CapObject, @unchecked Sendable {
  /// Capabilities to files kept for reprinting (names in the spooler's space).
  let queue = Mutex<[CapabilityName]>([])
}

struct PrintService<Host: ServerHost>: LprServer {
  let host: Host

  func lprPrint(_ printer: Printer, file: CapabilityName, context: CallContext) throws(ReturnCode) {
    let text: [UInt8]
    do throws(RPCError) {
      text = try host.client(for: file, IOClient.init(transport:)).ioRead(offset: 0, amount: 80)
    } catch {
      throw .EIO
    }
    let firstLine = String(decoding: text, as: UTF8.self).prefix { $0 != "\n" }
    print("lpr: printing \"\(firstLine)\" (read through its own copy of the capability)")
    printer.queue.withLock { $0.append(file) }
  }
}
