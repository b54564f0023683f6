import Foundation
import SimlayEngine
import SimlayEngineTestSupport
import Synchronization
import Testing

/// `ExecutionContext.shouldStop`: a run polls it before every step and, once it says stop, throws
/// `CancellationError` at once instead of finishing the pass (the daemon frees a forward thread whose
/// callers are gone this way); a poll that never says stop changes nothing.
@Suite("Stopping a run between steps")
struct StopBetweenStepsTests {
  /// Relu then 100 Identity steps: 101 steps, each a point where a run can stop.
  static let chain = try! Model(serialized: LoaderFuzz.identityChain(100), origin: "chain")
  static let input = Tensor(shape: [1, 3, 4, 4], floats: (0..<48).map { Float($0) - 20 })

  @Test(arguments: [1, 2, 37, 101])
  func stopsBeforeTheStepThatSawTheFlag(stopAt: Int) {
    let polls = Atomic<Int>(0)
    let context = ExecutionContext(shouldStop: { polls.add(1, ordering: .relaxed).newValue >= stopAt })
    #expect(throws: CancellationError.self) { try Self.chain.run(Self.input, keep: ["t100"], context: context) }
    // No step ran after the poll that said stop.
    #expect(polls.load(ordering: .relaxed) == stopAt)
  }

  @Test func aPollThatNeverStopsChangesNothing() throws {
    let polls = Atomic<Int>(0)
    let context = ExecutionContext(shouldStop: {
      polls.add(1, ordering: .relaxed)
      return false
    })
    let out = try Self.chain.run(Self.input, keep: ["t100"], context: context)
    #expect(out["t100"]?.floats == (0..<48).map { max(Float($0) - 20, 0) })
    #expect(polls.load(ordering: .relaxed) == 101)
  }
}
