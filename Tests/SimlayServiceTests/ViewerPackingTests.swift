@_spi(Testing) import SimlayService
import Testing

/// The viewer's data packing: triangle indexing, 8-bit quantisation and deflate, on their own.
@Suite("Viewer packing")
struct ViewerPackingTests {
  @Test(
    "triangle indices enumerate the upper triangle row by row, symmetric in their arguments",
    arguments: [1, 2, 3, 7, 196])
  func triangleIndexing(cells m: Int) {
    var expected = 0
    var ok = true
    for a in 0..<m {
      for b in a..<m {
        ok = ok && ViewerTriangle.index(a, b, cells: m) == expected && ViewerTriangle.index(b, a, cells: m) == expected
        expected += 1
      }
    }
    #expect(ok)
    #expect(expected == ViewerTriangle.count(cells: m))
  }

  @Test(
    "quantisation round-trips within half a step and is exact at the ends",
    arguments: [(Float(-0.41), Float(1.0)), (-65.2, 0), (0, 3.5e4), (2, 2)])
  func quantisationRoundTrip(low: Float, high: Float) {
    let q = ViewerQuantizer(low: low, high: high)
    #expect(q.decode(q.encode(low)) == low)
    #expect(q.decode(q.encode(high)) == q.decode(255) || high == low)
    var worst: Float = 0
    for k in 0...1000 {
      let v = low + (high - low) * Float(k) / 1000
      worst = max(worst, abs(q.decode(q.encode(v)) - v))
    }
    // Half a step, plus float rounding of values of this magnitude.
    #expect(worst <= q.step / 2 + 1e-6 * max(abs(low), abs(high), 1))
    #expect(q.encode(low - 1) == 0)
    #expect(q.encode(high + 1) == (high > low ? 255 : 0))
    #expect(q.encode(.nan) == 0)
  }

  @Test("a packed symmetric matrix gives back every entry within half a step, from either side")
  func packedMatrix() {
    let m = 23
    var matrix = [Float](repeating: 0, count: m * m)
    for i in 0..<m {
      for j in 0..<m { matrix[i * m + j] = Float(((i * 7 + j * 7 + i * j) % 31)) / 10 - 1.2 }
    }
    let packed = PackedTriangle(matrix: matrix, cells: m)
    #expect(packed.codes.count == m * (m + 1) / 2)
    #expect(packed.quantizer.low == matrix.min() && packed.quantizer.high == matrix.max())
    var worst: Float = 0
    for i in 0..<m {
      for j in 0..<m {
        worst = max(worst, abs(packed.value(i, j) - matrix[i * m + j]), abs(packed.value(j, i) - matrix[i * m + j]))
      }
    }
    #expect(worst <= packed.quantizer.step / 2 + 1e-6)
  }

  @Test("deflate round-trips and shrinks repetitive data", arguments: [0, 1, 1000, 200_000])
  func deflateRoundTrip(count: Int) throws {
    let bytes = (0..<count).map { UInt8(($0 / 7) % 251) }
    let packed = try ViewerDeflate.compress(bytes)
    #expect(try ViewerDeflate.decompress(packed, count: count) == bytes)
    if count >= 1000 { #expect(packed.count < count / 4) }
    // zlib format (RFC 1950), which DecompressionStream('deflate') expects: CMF 0x78, header checksum.
    #expect(packed.first == 0x78 && (Int(packed[0]) << 8 | Int(packed[1])) % 31 == 0)
  }
}
