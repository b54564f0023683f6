import Foundation
import SimlayEngine
import SimlayEngineTestSupport
import Testing

/// The ONNX loader against untrusted files: a bounded, seeded run of mutants of a small valid model
/// (LoaderFuzz) must never trap, and crafted files each get an error naming the problem.
@Suite("ONNX loader fuzzing")
struct LoaderFuzzTests {
  @Test func seedModelLoadsAndRuns() {
    #expect(LoaderFuzz.exercise(LoaderFuzz.seedModel()) == .ran)
  }

  /// 2000 mutants, fixed seed: every one is refused or runs (a trap would end the test process). The
  /// tally checks that the mutations reach every stage rather than all dying in the protobuf decoder.
  @Test func mutantsNeverCrash() {
    var rng = LoaderFuzz.Generator(seed: 20_261_202)
    var tally: [LoaderFuzz.Outcome: Int] = [:]
    for _ in 0..<2000 {
      tally[LoaderFuzz.exercise(LoaderFuzz.mutant(&rng)), default: 0] += 1
    }
    #expect(tally[.refused, default: 0] > 200)
    #expect(tally[.ran, default: 0] > 100)
    #expect(tally.values.reduce(0, +) == 2000)
  }

  @Test func overflowingInitializerIsRefused() throws {
    // dims [2^40, 2^40, 16] with no data: the element count overflows Int64.
    let error = #expect(throws: EngineError.self) {
      try Model(serialized: LoaderFuzz.seedModelWithInitializerDims("w", [1 << 40, 1 << 40, 16]), origin: "crafted")
    }
    #expect(error?.code == .invalidModel)
    #expect(error?.message.contains("'w'") == true)
    #expect(error?.message.contains("exceeds the limit") == true)
  }

  @Test func reversedIdentityChainLoads() throws {
    // 20000 nodes listed in reverse: the sort must be linear (the old one rescanned the pending nodes).
    let model = try Model(serialized: LoaderFuzz.identityChain(20000), origin: "chain")
    let out = try model.run(Tensor(shape: [1, 3, 4, 4], floats: (0..<48).map { Float($0) - 20 }), keep: ["t20000"])
    #expect(out["t20000"]?.floats == (0..<48).map { max(Float($0) - 20, 0) })
  }

  @Test func cycleIsNamed() throws {
    let error = #expect(throws: EngineError.self) { try Model(serialized: LoaderFuzz.cyclicModel(), origin: "cyclic") }
    #expect(error?.message.contains("cycle") == true)
  }
}
