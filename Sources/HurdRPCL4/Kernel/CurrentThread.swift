#if canImport(Glibc)
  import Glibc
#endif

/// The L4 threads an OS thread has been adopted as, one per (kernel, space). Lives in a pthread
/// key; when the OS thread exits, its L4 threads are deleted.
private final class OSThreadBindings {
  struct Entry {
    weak var kernel: L4Kernel?
    let space: ObjectIdentifier
    let context: L4ThreadContext
  }
  var entries: [Entry] = []
  var lastHit = 0

  deinit {
    for entry in entries {
      if let kernel = entry.kernel { kernel.terminate(entry.context.thread) }
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
    let spaceID = ObjectIdentifier(space)
    let hit = bindings.lastHit
    if hit < bindings.entries.count, bindings.entries[hit].space == spaceID, bindings.entries[hit].kernel === self {
      return bindings.entries[hit].context
    }
    if let index = bindings.entries.firstIndex(where: { $0.space == spaceID && $0.kernel === self }) {
      bindings.lastHit = index
      return bindings.entries[index].context
    }
    bindings.entries.removeAll { $0.kernel == nil }
    let thread = createThread(in: space, name: "adopted")
    thread.markBound()
    thread.noteCPU()
    let context = L4ThreadContext(thread: thread)
    bindings.entries.append(OSThreadBindings.Entry(kernel: self, space: spaceID, context: context))
    bindings.lastHit = bindings.entries.count - 1
    return context
  }
}
