import SimlayEngine

/// One image's activations at one layer, arranged for fast queries: H*W rows of D channels (cells
/// row-major, y then x), kept both raw and pre-normalised so that a cosine query is ONE matrix-vector
/// product (`cblas_sgemv`) with no norm recomputation.
///
/// Immutable once built, so one grid can serve concurrent queries from any number of threads.
public final class ActivationGrid: Sendable {
  /// Layer height in cells.
  public let height: Int
  /// Layer width in cells.
  public let width: Int
  /// Channels per cell (the length of every vector).
  public let depth: Int

  /// [H*W, D] raw activations, cell-major, so a cell's vector is contiguous (sgemv rows, euclidean).
  let raw: [Float]
  /// [H*W, D] rows v / (|v| + 1e-4): the cosine denominator is folded in once, at build time.
  let normalized: [Float]
  /// [H*W] Euclidean norms |v|.
  let norms: [Float]
  /// For grids with under half as many channels as cells (28x28x40, not 14x14x112, measured):
  /// `raw` and `normalized` again, channel-major [D, H*W], so a query runs as full-width AXPYs (see
  /// simlay_matvec_columns) instead of short dot products. Empty otherwise (then each cell's dot product
  /// is long enough to vectorise well).
  let rawChannelMajor: [Float]
  let normalizedChannelMajor: [Float]

  /// The stabiliser added to every norm. It keeps an all-zero vector's normalised form at zero (so its
  /// cosine is 0, not NaN) and is small enough not to matter for real activations.
  public static let normEpsilon: Double = 1e-4

  /// Builds from an NCHW tensor [N, D, H, W], taking batch item `batchIndex`; transposes to [H*W, D].
  /// Traps unless the tensor is float32 of rank 4 and `batchIndex` is in range.
  public convenience init(tensor: Tensor, batchIndex: Int = 0) {
    let s = tensor.shape
    precondition(
      tensor.dataType == .float32 && s.count == 4,
      "ActivationGrid needs a float32 NCHW tensor, got \(tensor.dataType)\(s)")
    precondition((0..<s[0]).contains(batchIndex), "batch index \(batchIndex) out of range for shape \(s)")
    let item = s[1] * s[2] * s[3]
    let raw = tensor.withFloats { all in
      Self.transposed(
        planes: UnsafeBufferPointer(rebasing: all[(batchIndex * item)..<((batchIndex + 1) * item)]),
        cells: s[2] * s[3], depth: s[1])
    }
    self.init(height: s[2], width: s[3], depth: s[1], cellMajor: raw)
  }

  /// Builds from a tensor laid out as `grid` says, taking batch item `batchIndex`: NCHW planes are
  /// transposed to cell-major rows; channels-last and token tensors already hold one cell's vector
  /// contiguously, so their rows are copied (a token tensor's `prefix` tokens are skipped).
  /// Traps unless the tensor is float32 and its shape matches `grid` with `batchIndex` in range.
  public convenience init(tensor: Tensor, grid: LayerGrid, batchIndex: Int = 0) {
    let s = tensor.shape
    let (c, h, w) = (grid.channels, grid.height, grid.width)
    precondition(
      tensor.dataType == .float32 && !s.isEmpty && (0..<s[0]).contains(batchIndex),
      "ActivationGrid needs a float32 tensor with batch item \(batchIndex), got \(tensor.dataType)\(s)")
    switch grid.layout {
    case .nchw:
      precondition(s == [s[0], c, h, w], "shape \(s) is not NCHW [N, \(c), \(h), \(w)]")
      self.init(tensor: tensor, batchIndex: batchIndex)
    case .nhwc:
      precondition(s == [s[0], h, w, c], "shape \(s) is not NHWC [N, \(h), \(w), \(c)]")
      let item = h * w * c
      let rows = tensor.withFloats { Array($0[(batchIndex * item)..<((batchIndex + 1) * item)]) }
      self.init(height: h, width: w, depth: c, cellMajor: rows)
    case .tokens(let prefix):
      precondition(s == [s[0], prefix + h * w, c], "shape \(s) is not tokens [N, \(prefix) + \(h)*\(w), \(c)]")
      let item = (prefix + h * w) * c
      let start = batchIndex * item + prefix * c
      let rows = tensor.withFloats { Array($0[start..<(start + h * w * c)]) }
      self.init(height: h, width: w, depth: c, cellMajor: rows)
    }
  }

  /// Builds from `chw`: `depth` planes of height*width values (one image's slice of an NCHW tensor).
  /// Traps if `chw.count != depth * height * width`.
  public convenience init(height: Int, width: Int, depth: Int, chw: [Float]) {
    precondition(height >= 0 && width >= 0 && depth >= 0, "negative grid size \(height)x\(width)x\(depth)")
    precondition(
      chw.count == depth * height * width, "chw has \(chw.count) values, expected \(depth)x\(height)x\(width)")
    let raw = chw.withUnsafeBufferPointer { Self.transposed(planes: $0, cells: height * width, depth: depth) }
    self.init(height: height, width: width, depth: depth, cellMajor: raw)
  }

  /// Builds from cell-major data ([H*W, D]), computing norms and normalised rows.
  init(height: Int, width: Int, depth: Int, cellMajor raw: [Float]) {
    self.height = height
    self.width = width
    self.depth = depth
    self.raw = raw
    let cells = height * width
    var norms = [Float](repeating: 0, count: cells)
    var normalized = [Float](repeating: 0, count: raw.count)
    raw.withUnsafeBufferPointer { src in
      normalized.withUnsafeMutableBufferPointer { dst in
        // An empty array promises no base address; with no channels every norm is 0 anyway.
        guard depth > 0 else { return }
        for c in 0..<cells {
          let row = src.baseAddress! + c * depth
          let n = VectorKernels.norm(row, depth)
          norms[c] = Float(n)
          VectorKernels.scale(row, by: 1 / (n + Self.normEpsilon), into: dst.baseAddress! + c * depth, depth)
        }
      }
    }
    self.norms = norms
    self.normalized = normalized
    if 2 * depth < cells && depth > 0 {
      func channelMajor(_ m: [Float]) -> [Float] {
        var t = [Float](repeating: 0, count: m.count)
        for c in 0..<cells { for d in 0..<depth { t[d * cells + c] = m[c * depth + d] } }
        return t
      }
      rawChannelMajor = channelMajor(raw)
      normalizedChannelMajor = channelMajor(normalized)
    } else {
      rawChannelMajor = []
      normalizedChannelMajor = []
    }
  }

  /// Number of cells, H*W (the length of a similarity map).
  public var cellCount: Int { height * width }

  /// Bytes of activation data held (raw and normalised rows plus norms), for cache accounting.
  public var byteCount: Int {
    (raw.count + normalized.count + norms.count + rawChannelMajor.count + normalizedChannelMajor.count)
      * MemoryLayout<Float>.stride
  }

  /// The raw D-vector of cell (y, x). Traps if the cell is outside the grid.
  public func vector(y: Int, x: Int) -> [Float] {
    let c = cellIndex(y: y, x: x)
    return Array(raw[(c * depth)..<((c + 1) * depth)])
  }

  /// The Euclidean norm |v| of cell (y, x)'s raw vector. Traps if the cell is outside the grid.
  public func norm(y: Int, x: Int) -> Float { norms[cellIndex(y: y, x: x)] }

  /// Mean of the raw vectors over cells `y0..<y1`, `x0..<x1` (a region query). Traps unless the region
  /// is non-empty and inside the grid: callers map pixel selections through `CellMapping`, which only
  /// yields valid cells.
  public func meanVector(y0: Int, x0: Int, y1: Int, x1: Int) -> [Float] {
    precondition(
      0 <= y0 && y0 < y1 && y1 <= height && 0 <= x0 && x0 < x1 && x1 <= width,
      "region y \(y0)..<\(y1), x \(x0)..<\(x1) is empty or outside the \(height)x\(width) grid")
    // Double sums: a 28x28 region of float activations would otherwise lose digits to rounding.
    var sum = [Double](repeating: 0, count: depth)
    raw.withUnsafeBufferPointer { src in
      guard depth > 0 else { return }
      for y in y0..<y1 {
        for x in x0..<x1 {
          let row = src.baseAddress! + (y * width + x) * depth
          for d in 0..<depth { sum[d] += Double(row[d]) }
        }
      }
    }
    let count = Double((y1 - y0) * (x1 - x0))
    return sum.map { Float($0 / count) }
  }

  /// Row index of cell (y, x), checked.
  func cellIndex(y: Int, x: Int) -> Int {
    precondition(
      (0..<height).contains(y) && (0..<width).contains(x), "cell (\(y), \(x)) outside the \(height)x\(width) grid")
    return y * width + x
  }

  /// [D, cells] planes to [cells, D] rows, in tiles so that both sides stay in cache for deep layers
  /// (1280 planes of 49 cells would otherwise stride through memory on every write).
  static func transposed(planes: UnsafeBufferPointer<Float>, cells: Int, depth: Int) -> [Float] {
    let tile = 32
    return [Float](unsafeUninitializedCapacity: cells * depth) { out, initialized in
      guard let src = planes.baseAddress, let dst = out.baseAddress else {
        initialized = 0
        return
      }
      for d0 in stride(from: 0, to: depth, by: tile) {
        let d1 = min(d0 + tile, depth)
        for c0 in stride(from: 0, to: cells, by: tile) {
          let c1 = min(c0 + tile, cells)
          for d in d0..<d1 {
            for c in c0..<c1 { dst[c * depth + d] = src[d * cells + c] }
          }
        }
      }
      initialized = cells * depth
    }
  }
}
