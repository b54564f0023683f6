import Dispatch
import Foundation
import SimlayCore
import SimlayService
import Synchronization
import Testing

/// The compute executor's cancellation: a cancelled caller's queued job never runs and takes no slot; a
/// running job sees its flag, and the slot goes to the next caller.
@Suite("Compute executor cancellation")
struct ComputeExecutorTests {
  /// Polls `condition` for up to 10 s (the state change, not its speed, is under test).
  static func eventually(_ condition: () -> Bool) async throws {
    for _ in 0..<1000 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    #expect(condition())
  }

  /// Fills the executor's one slot with a job that runs until `gate` is signalled.
  static func occupy(_ executor: ComputeExecutor) async throws -> (Task<Void, any Error>, DispatchSemaphore) {
    let gate = DispatchSemaphore(value: 0)
    let started = Signal()
    let blocker = Task {
      try await executor.run {
        started.set()
        gate.wait()
      }
    }
    try await eventually { started.isSet }
    return (blocker, gate)
  }

  @Test("a cancelled queued job leaves the queue without running")
  func queuedJobWithdrawn() async throws {
    let executor = ComputeExecutor(limit: 1)
    let ran = Signal()
    let (blocker, gate) = try await Self.occupy(executor)
    let queued = Task { try await executor.run { ran.set() } }
    try await Self.eventually { executor.waiting == 1 }
    queued.cancel()
    await #expect(throws: CancellationError.self) { try await queued.value }
    #expect(executor.waiting == 0)
    gate.signal()
    try await blocker.value
    // The slot is free again: the next job runs.
    #expect(try await executor.run { 42 } == 42)
    #expect(!ran.isSet)
    #expect(executor.cancellations == 1)
  }

  @Test("a running job sees its flag and frees the slot for the next caller")
  func runningJobStops() async throws {
    let executor = ComputeExecutor(limit: 1)
    let started = Signal()
    let job = Task {
      try await executor.runCancellable { flag -> Int in
        started.set()
        let giveUp = Date().addingTimeInterval(30)
        while !flag.isCancelled, Date() < giveUp { usleep(1000) }
        try flag.check()
        return 0
      }
    }
    try await Self.eventually { started.isSet }
    let next = Task { try await executor.run { 7 } }
    try await Self.eventually { executor.waiting == 1 }
    job.cancel()
    await #expect(throws: CancellationError.self) { try await job.value }
    #expect(try await next.value == 7)
    #expect(executor.cancellations == 1)
  }
}

/// A one-way boolean shared with jobs on other threads.
final class Signal: Sendable {
  private let value = Atomic<Bool>(false)
  func set() { value.store(true, ordering: .relaxed) }
  var isSet: Bool { value.load(ordering: .relaxed) }
}

/// Names of jobs in the order they ran.
private final class RunLog: Sendable {
  let names = Mutex<[String]>([])
  func append(_ name: String) { names.withLock { $0.append(name) } }
}

@Suite("Compute executor fairness")
struct ComputeExecutorFairnessTests {
  @Test("a freed slot goes to the waiting callers in turn: one caller's batch does not hold back another's job")
  func roundRobin() async throws {
    let executor = ComputeExecutor(limit: 1)
    let log = RunLog()
    let (blocker, gate) = try await ComputeExecutorTests.occupy(executor)
    var batch: [Task<Void, any Error>] = []
    for i in 0..<5 {
      batch.append(
        Task { try await ComputeExecutor.$caller.withValue(100) { try await executor.run { log.append("a\(i)") } } })
      try await ComputeExecutorTests.eventually { executor.waiting == i + 1 }
    }
    let single = Task {
      try await ComputeExecutor.$caller.withValue(200) { try await executor.run { log.append("b") } }
    }
    try await ComputeExecutorTests.eventually { executor.waiting == 6 }
    gate.signal()
    try await blocker.value
    for job in batch { try await job.value }
    try await single.value
    // FIFO would run b last, after all five of a's jobs.
    #expect(log.names.withLock { $0 } == ["a0", "b", "a1", "a2", "a3", "a4"])
  }
}
