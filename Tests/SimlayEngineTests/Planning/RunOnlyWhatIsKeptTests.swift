import SimlayEngine
import SimlayEngineTestSupport
import Synchronization
import Testing

/// A run computes only the steps the kept values depend on (a query at a middle layer does not pay for the
/// layers after it), and what it returns is what the whole pass computes for the same names.
@Suite("A run computes only what it keeps")
struct RunOnlyWhatIsKeptTests {
  /// Relu then 100 Identity steps (t0 ... t100): step i produces t_i.
  static let chain = try! Model(serialized: LoaderFuzz.identityChain(100), origin: "chain")
  static let input = Tensor(shape: [1, 3, 4, 4], floats: (0..<48).map { Float($0) - 20 })

  /// Steps a run polls `shouldStop` before: one poll per step it runs.
  static func stepsRun(keep: [String]) throws -> (steps: Int, values: [String: Tensor]) {
    let polls = Atomic<Int>(0)
    let context = ExecutionContext(shouldStop: {
      polls.add(1, ordering: .relaxed)
      return false
    })
    let values = try chain.run(input, keep: keep, context: context)
    return (polls.load(ordering: .relaxed), values)
  }

  @Test(arguments: [0, 1, 37, 99, 100])
  func stopsAfterTheLastKeptValue(layer: Int) throws {
    let (steps, values) = try Self.stepsRun(keep: ["t\(layer)"])
    #expect(steps == layer + 1, "keeping t\(layer) ran \(steps) steps")
    #expect(values["t\(layer)"]?.floats == (0..<48).map { max(Float($0) - 20, 0) })
    #expect(values.count == 1)
  }

  @Test func theDeepestKeptValueDecides() throws {
    let (steps, values) = try Self.stepsRun(keep: ["t3", "t64", "t12"])
    #expect(steps == 65)
    #expect(Set(values.keys) == ["t3", "t12", "t64"])
    let whole = try Self.chain.run(Self.input, keep: ["t3", "t12", "t64", "t100"])
    for name in ["t3", "t12", "t64"] { #expect(values[name]?.floats == whole[name]?.floats, "\(name) differs") }
  }

  @Test func keepingOnlyTheInputRunsNothing() throws {
    let (steps, values) = try Self.stepsRun(keep: ["x"])
    #expect(steps == 0)
    #expect(values["x"]?.floats == Self.input.floats)
  }
}
