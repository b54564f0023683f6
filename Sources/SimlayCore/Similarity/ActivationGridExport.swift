import SimlayEngine

extension ActivationGrid {
  /// The raw activations back in a layer's own layout, batch item dropped: channel planes [D, H, W]
  /// (`.nchw`), or cell rows [H, W, D] (`.nhwc`, and `.tokens(prefix: 0)`, whose tokens are the cells in
  /// row-major order). Nil for a token layout with prefix tokens: the grid never held them. The values
  /// are the grid's own, bit for bit, so the daemon can answer a layer's tensor from its cache.
  public func values(in layout: LayerGrid.Layout) -> [Float]? {
    switch layout {
    case .nhwc, .tokens(prefix: 0): return raw
    case .tokens: return nil
    case .nchw:
      let cells = cellCount
      return [Float](unsafeUninitializedCapacity: raw.count) { out, initialized in
        raw.withUnsafeBufferPointer { src in
          // Cell rows to channel planes, in tiles as `transposed` does the other way.
          let tile = 32
          for c0 in stride(from: 0, to: cells, by: tile) {
            for d0 in stride(from: 0, to: depth, by: tile) {
              for c in c0..<min(c0 + tile, cells) {
                for d in d0..<min(d0 + tile, depth) { out[d * cells + c] = src[c * depth + d] }
              }
            }
          }
        }
        initialized = raw.count
      }
    }
  }
}
