import Dispatch
import HurdRPC
import Testing


@Suite("BlockingExecutor")
struct BlockingExecutorTests {
  /// Every job blocks until all of them have started: only an executor that adds threads on
  /// demand (instead of queueing behind blocked ones) gets through.
  @Test(.timeLimit(.minutes(1))) func blockedJobsDoNotStarveNewOnes() async {
    let executor = BlockingExecutor()
    let jobCount = 12
    let arrived = Locked(0)
    let allArrived = DispatchSemaphore(value: 0)
    await withTaskGroup(of: Int.self) { group in
      for index in 0..<jobCount {
        group.addTask {
          await executor.run { () throws(Never) -> Int in
            if arrived.withLock({ count -> Int in count += 1; return count }) == jobCount {
              for _ in 0..<jobCount { allArrived.signal() }
            }
            allArrived.wait()
            return index
          }.get()
        }
      }
      var seen = Set<Int>()
      for await index in group { seen.insert(index) }
      #expect(seen == Set(0..<jobCount))
    }
    #expect(executor.startedThreads >= jobCount)
  }

  @Test func idleThreadsAreReused() async {
    let executor = BlockingExecutor()
    for round in 0..<50 {
      let value = await executor.run { () throws(Never) -> Int in round * 2 }.get()
      #expect(value == round * 2)
    }
    // 50 sequential jobs reuse parked threads (a thread still finishing its last job may force a new one).
    #expect(executor.startedThreads < 10)
  }

  @Test func errorsComeBackTyped() async {
    let executor = BlockingExecutor()
    let result = await executor.run { () throws(RPCError) -> Int in throw RPCError(.badID, "nope") }
    if case .failure(let error) = result {
      #expect(error == RPCError(.badID, "nope"))
    } else {
      Issue.record("expected a failure")
    }
  }
}
