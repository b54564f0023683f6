import SimlayEngine
import Testing

/// The recycler behind tensors' memory: a freed large buffer serves the next allocation of its size, the
/// reused memory holds what the new tensor wrote (not the old values), and what it keeps stays bounded.
/// Other suites allocate at the same time, so the checks look at changes in the counters, not their values.
@Suite("Buffer recycling", .serialized)
struct BufferRecyclingTests {
  /// An odd size (2,998,783 floats, 12 MB) that no other test's tensors fall into the class of.
  static let shape = [1, 17, 419, 421]

  @Test func aFreedTensorsMemoryServesTheNextOfItsSize() {
    var reusedOnce = false
    // Another suite may take the freed buffer first; one of a few tries must find it.
    for _ in 0..<5 where !reusedOnce {
      do {
        let old = Tensor(shape: Self.shape, floats: [Float](repeating: 7, count: Self.shape.reduce(1, *)))
        #expect(old.count == 2_998_783)
      }
      let before = BufferRecycling.statistics.reused
      let zeros = Tensor.zeros(Self.shape)
      reusedOnce = BufferRecycling.statistics.reused > before
      let nonZero = zeros.withFloats { $0.firstIndex { $0 != 0 } }
      #expect(nonZero == nil, "a recycled buffer kept an old value at \(nonZero ?? -1)")
    }
    #expect(reusedOnce, "five frees and allocations of one size never reused a buffer")
  }

  @Test func writtenValuesSurviveReuse() {
    let count = Self.shape.reduce(1, *)
    for round in 0..<3 {
      let t = Tensor.writing(shape: Self.shape) { out in
        for i in out.indices { out[i] = Float(i % 1000) + Float(round) }
      }
      let wrong = t.withFloats { f in f.indices.first { f[$0] != Float($0 % 1000) + Float(round) } }
      #expect(wrong == nil && t.count == count, "round \(round): element \(wrong ?? -1) differs")
    }
  }

  @Test func whatIsKeptStaysWithinTheCapacity() {
    // Five 100 MB tensors alive at once, then freed together: 500 MB offered to a 384 MB pool.
    do {
      let big = (0..<5).map { _ in Tensor.zeros([25 << 20]) }
      #expect(big.allSatisfy { $0.count == 25 << 20 })
    }
    #expect(BufferRecycling.statistics.bytes <= BufferRecycling.capacityBytes)
    // A buffer larger than the whole pool goes straight back to the system.
    do { _ = Tensor.zeros([(BufferRecycling.capacityBytes / 4) + 1]) }
    #expect(BufferRecycling.statistics.bytes <= BufferRecycling.capacityBytes)
  }

  @Test func drainEmptiesThePool() {
    do { _ = Tensor.zeros(Self.shape) }
    #expect(BufferRecycling.statistics.bytes >= Self.shape.reduce(1, *) * 4, "the freed tensor was not kept")
    BufferRecycling.drain()
    // Nothing of this size is left to reuse: the next one comes from the system.
    let fresh = BufferRecycling.statistics.fresh
    let again = Tensor.zeros(Self.shape)
    #expect(BufferRecycling.statistics.fresh > fresh && again.count == 2_998_783)
  }
}
