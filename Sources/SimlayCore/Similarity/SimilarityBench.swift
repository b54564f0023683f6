/// A hover-query benchmark for scripts (not a test: timings on shared machines are too noisy to assert).
///
/// One query mirrors what the daemon does on a hover: for each layer, take the hovered cell's vector
/// from one image, prepare it, and compute its map over every image's grid at that layer.
public enum SimilarityBench {
  /// What a run measured.
  public struct Result: Sendable {
    /// Wall time of one hover query over all grids, averaged over the run.
    public var secondsPerQuery: Double
    /// Similarity maps computed per query (one per grid).
    public var mapsPerQuery: Int
    /// Activation bytes one query reads (the rows its metric scans, summed over grids).
    public var bytesPerQuery: Int
    /// Sum of the maps' first values: keeps the work observable to the optimiser, and a sanity value.
    public var checksum: Double
  }

  /// Runs `queries` hover queries (after one untimed warm-up) over `grids`, which are grouped into
  /// layers by shape; query i takes its vector from image i mod N of each layer, at a cell spread over
  /// the grid. Output buffers are allocated once, as a server would. Traps if `queries < 1`.
  public static func run(grids: [ActivationGrid], queries: Int, metric: SimilarityMetric = .cosine) -> Result {
    precondition(queries >= 1, "need at least one query")
    var layerIndex: [[Int]: Int] = [:]
    var layers: [[ActivationGrid]] = []
    for g in grids {
      let key = [g.height, g.width, g.depth]
      if let i = layerIndex[key] {
        layers[i].append(g)
      } else {
        layerIndex[key] = layers.count
        layers.append([g])
      }
    }
    let buffers = layers.map { $0.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: $0.cellCount) } }
    defer { buffers.joined().forEach { $0.deallocate() } }

    var checksum = 0.0
    func query(_ i: Int) {
      for (layer, out) in zip(layers, buffers) {
        let source = layer[i % layer.count]
        guard source.cellCount > 0 else { continue }
        // A multiplicative stride visits cells all over the grid rather than one neighbourhood.
        let cell = (i &* 7919) % source.cellCount
        let q = QueryVector(source.vector(y: cell / source.width, x: cell % source.width))
        for (grid, buffer) in zip(layer, out) {
          SimilarityMap.compute(query: q, grid: grid, metric: metric, into: buffer)
          checksum += Double(buffer[0])
        }
      }
    }

    query(0)
    let clock = ContinuousClock()
    let start = clock.now
    for i in 1...queries { query(i) }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    let bytes = grids.reduce(0) { $0 + $1.cellCount * $1.depth * MemoryLayout<Float>.stride }
    return Result(
      secondsPerQuery: seconds / Double(queries), mapsPerQuery: grids.count, bytesPerQuery: bytes, checksum: checksum)
  }
}
