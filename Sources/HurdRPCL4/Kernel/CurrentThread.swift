#if canImport(Glibc)
  import Glibc
#endif

/// The L4 threads an OS thread has been adopted as, one per (kernel, space). Lives in a pthread
/// key; when the OS thread exits, its L4 threads are deleted.
private final class OSThreadBindings {
  struct Entry {
    let kernel: KernelLifetime
    let kernelSerial: UInt64
    let space: Int
    let context: L4ThreadContext
  }
  var entries: [Entry] = []
  // The last lookup, kept apart so the common case touches no weak reference.
  var lastKernel: UInt64 = 0  // serials start at 1
  var lastSpace = -1
  var lastContext: L4ThreadContext?

  deinit {
    for entry in entries {
      entry.kernel.whileAlive { $0.terminate(entry.context.thread) }
    }
  }
}

private let bindingsKey: pthread_key_t = {
  var key = pthread_key_t()
  let status = pthread_key_create(&key) { raw in
    guard let raw else { return }
    Unmanaged<OSThreadBindings>.fromOpaque(raw).release()
  }
  precondition(status == 0, "pthread_key_create failed")
  return key
}()

extension L4Kernel {
  /// The L4 thread in `space` that the calling OS thread acts as, created on first use (the
  /// model's way for an existing OS thread, e.g. a runtime executor thread, to do IPC). Each
  /// OS thread gets its own L4 thread per space; it is deleted when the OS thread exits.
  public func currentThread(in space: L4AddressSpace) -> L4ThreadContext {
    let bindings: OSThreadBindings
    if let raw = pthread_getspecific(bindingsKey) {
      bindings = Unmanaged<OSThreadBindings>.fromOpaque(raw).takeUnretainedValue()
    } else {
      bindings = OSThreadBindings()
      pthread_setspecific(bindingsKey, Unmanaged.passRetained(bindings).toOpaque())
    }
    let spaceID = space.number
    let kernelID = serial
    if bindings.lastSpace == spaceID, bindings.lastKernel == kernelID, let context = bindings.lastContext {
      return context
    }
    let context: L4ThreadContext
    if let index = bindings.entries.firstIndex(where: { $0.space == spaceID && $0.kernelSerial == kernelID }) {
      context = bindings.entries[index].context
    } else {
      precondition(space.kernel === self, "space belongs to another kernel")
      bindings.entries.removeAll { !$0.kernel.isAlive }
      let thread = createThread(in: space, name: "adopted")
      thread.markBound()
      thread.noteCPU()
      context = L4ThreadContext(thread: thread)
      bindings.entries.append(OSThreadBindings.Entry(kernel: lifetime, kernelSerial: kernelID, space: spaceID, context: context))
    }
    bindings.lastKernel = kernelID
    bindings.lastSpace = spaceID
    bindings.lastContext = context
    return context
  }
}

/// Lets an OS thread that outlives a kernel find out whether the kernel still exists, without a
/// weak reference (which would put every retain of the kernel on the slow path).
final class KernelLifetime: @unchecked Sendable {
  private let lock = KernelLock()
  // Guarded by `lock`; cleared by the kernel's deinit before its memory goes away.
  private unowned(unsafe) var kernel: L4Kernel?

  func attach(_ kernel: L4Kernel) {
    lock.lock()
    self.kernel = kernel
    lock.unlock()
  }

  var isAlive: Bool {
    lock.lock()
    defer { lock.unlock() }
    return kernel != nil
  }

  func whileAlive(_ body: (L4Kernel) -> Void) {
    lock.lock()
    defer { lock.unlock() }
    if let kernel { body(kernel) }
  }

  func end() {
    lock.lock()
    kernel = nil
    lock.unlock()
  }
}
