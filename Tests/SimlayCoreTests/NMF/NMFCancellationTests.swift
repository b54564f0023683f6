import Dispatch
import SimlayCore
import Testing

@Suite("NMF cancellation")
struct NMFCancellationTests {
  @Test("a set flag stops the factorisation before its next iteration")
  func stopsOnFlag() throws {
    let a = NMFTests.lowRank(rows: 124, columns: 13, rank: 3, seed: 7)
    let flag = CancellationFlag()
    flag.cancel()
    #expect {
      try NMF.factor(a, options: .init(k: 3, maxIterations: 500), cancellation: flag)
    } throws: { error in
      guard let e = error as? NMFError else { return false }
      return e.code == .cancelled && e.message.contains("after 0 of at most 500 iterations")
    }
  }

  @Test("a flag set from another thread ends a factorisation that would not converge")
  func stopsMidway() throws {
    // 2000 x 60 at k = 20 with a tolerance it never meets: 100000 iterations would take minutes.
    let a = NMFTests.lowRank(rows: 2000, columns: 60, rank: 20, seed: 3)
    let flag = CancellationFlag()
    DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(300)) { flag.cancel() }
    var stoppedAfter: String?
    do {
      _ = try NMF.factor(a, options: .init(k: 20, maxIterations: 100_000, tolerance: 1e-30), cancellation: flag)
    } catch {
      #expect(error.code == .cancelled)
      stoppedAfter = error.message
    }
    let message = try #require(stoppedAfter, "the factorisation finished instead of stopping on the flag")
    #expect(message.contains("of at most 100000 iterations"))
  }

  @Test("without a flag the result is unchanged")
  func neverFlag() throws {
    let a = NMFTests.lowRank(rows: 60, columns: 40, rank: 5, seed: 7)
    let plain = try NMF.factor(a, options: .init(k: 5, maxIterations: 50))
    let flagged = try NMF.factor(a, options: .init(k: 5, maxIterations: 50), cancellation: CancellationFlag())
    #expect(plain.w == flagged.w && plain.h == flagged.h && plain.iterations == flagged.iterations)
  }
}
