/// Storage of one layer's all-pairs similarity matrix for the HTML viewer.
///
/// Every metric is symmetric (s(u, v) = s(v, u)), so of the M x M matrix over all M = N*H*W cells of N
/// images only the upper triangle (diagonal included) is stored, row-major: row `a` holds columns
/// `a..<M`. Cells are numbered image-major, then y, then x (cell (y, x) of image i is
/// `i*H*W + y*W + x`), the order of the maps the Similarity RPC returns.
@_spi(Testing) public enum ViewerTriangle {
  /// Entries stored for `cells` cells: M(M+1)/2.
  public static func count(cells m: Int) -> Int { m * (m + 1) / 2 }

  /// Position of entry (i, j) (either order) in the packed triangle of an M-cell matrix.
  /// Row a (a <= b) starts after rows 0..<a, which hold M + (M-1) + ... + (M-a+1) = a*M - a(a-1)/2
  /// entries. The page's script uses the same formula.
  public static func index(_ i: Int, _ j: Int, cells m: Int) -> Int {
    let (a, b) = i <= j ? (i, j) : (j, i)
    return a * m - a * (a - 1) / 2 + (b - a)
  }
}

/// 8-bit linear quantisation of a value range: code q stands for `low + q * step`, step = (high - low)/255.
/// Decoding is within step/2 of the encoded value for values inside the range (and exact at both ends),
/// which bounds what the viewer's displayed values can differ from the daemon's float maps.
@_spi(Testing) public struct ViewerQuantizer: Sendable, Equatable {
  /// The value of code 0.
  public let low: Float
  /// The value of code 255 (equal to `low` when every value is the same; then every code decodes to it).
  public let high: Float

  /// A quantiser for [low, high]; a reversed range is treated as the single value `low`.
  public init(low: Float, high: Float) {
    self.low = low
    self.high = max(high, low)
  }

  /// The smallest range that holds every finite value of `values` (0...0 if there is none).
  public init<S: Sequence<Float>>(covering values: S) {
    var lo = Float.infinity
    var hi = -Float.infinity
    for v in values where v.isFinite {
      lo = min(lo, v)
      hi = max(hi, v)
    }
    self.init(low: lo.isFinite ? lo : 0, high: hi.isFinite ? hi : 0)
  }

  /// Distance between consecutive codes (0 for a single-valued range).
  public var step: Float { (high - low) / 255 }

  /// The nearest code; values outside the range clamp to its ends, NaN to 0.
  @inline(__always)
  public func encode(_ v: Float) -> UInt8 {
    guard high > low, !v.isNaN else { return 0 }
    let q = ((v - low) / (high - low) * 255).rounded()
    return UInt8(min(max(q, 0), 255))
  }

  /// The value code `q` stands for.
  @inline(__always)
  public func decode(_ q: UInt8) -> Float { low + Float(q) * step }
}

/// A quantised, packed upper triangle: what the page stores for one layer.
@_spi(Testing) public struct PackedTriangle: Sendable {
  /// Cells M (rows and columns of the full matrix).
  public let cells: Int
  /// The quantiser the codes were made with (its range is the triangle's min...max).
  public let quantizer: ViewerQuantizer
  /// M(M+1)/2 codes, in `ViewerTriangle.index` order.
  public let codes: [UInt8]

  /// Packs the upper triangle of a row-major M x M matrix (`matrix.count == cells * cells`; traps otherwise).
  /// The range is taken over the triangle only: the lower half mirrors it up to float summation order.
  public init(matrix: [Float], cells m: Int) {
    precondition(matrix.count == m * m, "matrix has \(matrix.count) values, expected \(m) x \(m)")
    var lo = Float.infinity
    var hi = -Float.infinity
    matrix.withUnsafeBufferPointer { a in
      for r in 0..<m {
        for c in r..<m where a[r * m + c].isFinite {
          lo = min(lo, a[r * m + c])
          hi = max(hi, a[r * m + c])
        }
      }
    }
    let q = ViewerQuantizer(low: lo.isFinite ? lo : 0, high: hi.isFinite ? hi : 0)
    cells = m
    quantizer = q
    codes = [UInt8](unsafeUninitializedCapacity: ViewerTriangle.count(cells: m)) { out, initialized in
      matrix.withUnsafeBufferPointer { a in
        var k = 0
        for r in 0..<m {
          for c in r..<m {
            out[k] = q.encode(a[r * m + c])
            k += 1
          }
        }
        initialized = k
      }
    }
  }

  /// The stored (dequantised) value of entry (i, j), either order.
  public func value(_ i: Int, _ j: Int) -> Float { quantizer.decode(codes[ViewerTriangle.index(i, j, cells: cells)]) }
}
