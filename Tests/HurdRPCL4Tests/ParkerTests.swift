import CL4Support
import Dispatch
import HurdRPCL4
import Testing

/// The hand-off primitive under the IPC: one `unpark` completes one `prepare`d wait.
@Suite("L4 hand-off")
struct ParkerTests {
  @Test func anUnparkBeforeTheParkIsNotLost() {
    let parker = L4Parker()
    parker.prepare()
    parker.unpark()
    #expect(parker.park(until: nil, spin: true))
  }

  @Test func aParkWithADeadlineTimesOutWithoutAnUnpark() {
    let parker = L4Parker()
    parker.prepare()
    #expect(!parker.park(until: cl4_monotonic_ns() + 1_000_000, spin: false))
  }

  @Test func anotherThreadWakesASleepingParker() {
    let parker = L4Parker()
    let woken = Slot<Bool>()
    for _ in 0..<200 {
      parker.prepare()
      let done = DispatchSemaphore(value: 0)
      DispatchQueue(label: "waker").async {
        parker.unpark()
        done.signal()
      }
      woken.set(parker.park(until: nil, spin: false))
      done.wait()
      #expect(woken.value == true)
    }
  }
}
