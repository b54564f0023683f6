import Foundation
import SimlayClient
import SimlayProto
import SimlayWire
import Testing

@Suite("Tensor conversions")
struct TensorConversionTests {
  /// Values that exercise every part of the float format: signs, zero, subnormals, extremes, non-finite.
  static let awkward: [Float] = [
    0, -0.0, 1, -1, 0.1, .pi, Float(bitPattern: 0x0001_1000), -.leastNonzeroMagnitude, .greatestFiniteMagnitude,
    -.leastNormalMagnitude, .infinity, -.infinity,
  ]

  @Test("floats survive the wire exactly, bit for bit", arguments: [[2, 3, 2], [12], [1, 1, 12], [0, 4], [0]])
  func floatRoundTrip(shape: [Int]) throws {
    let count = shape.reduce(1, *)
    let values = (0..<count).map { Self.awkward[$0 % Self.awkward.count] }
    let tensor = Simlay_V1_FloatTensor(shape: shape, values: values)
    #expect(tensor.dimensions == shape)
    #expect(tensor.data.count == 4 * count)
    #expect(try tensor.floats().map(\.bitPattern) == values.map(\.bitPattern))
  }

  @Test("NaN payloads come back unchanged")
  func nanBits() throws {
    let values = [Float.nan, -Float.nan, Float(bitPattern: 0x7fc0_1234)]
    #expect(
      try Simlay_V1_FloatTensor(shape: [3], values: values).floats().map(\.bitPattern) == values.map(\.bitPattern))
  }

  @Test("the payload is little-endian float32, as simlay.proto documents")
  func littleEndian() {
    let tensor = Simlay_V1_FloatTensor(shape: [2], values: [1, -2])
    // 1.0 = 0x3F800000, -2.0 = 0xC0000000, low byte first.
    #expect([UInt8](tensor.data) == [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
  }

  @Test("a payload that disagrees with the shape is refused")
  func mismatches() {
    var short = Simlay_V1_FloatTensor(shape: [2, 2], values: [1, 2, 3, 4])
    short.data.removeLast()
    #expect(throws: WireTensorError.self) { try short.floats() }
    var negative = Simlay_V1_FloatTensor()
    negative.shape = [-1, 4]
    #expect(throws: WireTensorError.self) { try negative.floats() }
    var huge = Simlay_V1_FloatTensor()
    huge.shape = [Int64.max, 2]
    #expect(throws: WireTensorError.self) { try huge.floats() }
    #expect(throws: WireTensorError.self) {
      try Simlay_V1_FloatTensor(shape: [4], values: [1, 2, 3, 4]).floats(rank: 3)
    }
  }

  @Test("int32 tensors round trip and are checked against their shape")
  func int32() throws {
    let tensor = Simlay_V1_Int32Tensor(shape: [2, 3], values: [0, -1, .max, .min, 7, 8])
    #expect(try tensor.checkedValues(rank: 2) == [0, -1, .max, .min, 7, 8])
    #expect(throws: WireTensorError.self) {
      try Simlay_V1_Int32Tensor(shape: [2, 2], values: [1, 2, 3]).checkedValues()
    }
  }

  @Test("a map stack reads [N, H, W] maps in row-major order")
  func mapStack() throws {
    let values = (0..<24).map(Float.init)
    let stack = try MapStack(Simlay_V1_FloatTensor(shape: [2, 3, 4], values: values))
    #expect(stack.shape == [2, 3, 4])
    #expect(Array(stack.map(1)) == Array(values[12..<24]))
    #expect(stack.nested[1][2] == [20, 21, 22, 23])
    #expect(stack.nested[0].count == 3)
  }

  @Test("a map stack refuses tensors that are not [N, H, W] with matching bytes")
  func mapStackRefuses() {
    let flat = Simlay_V1_FloatTensor(shape: [6], values: [1, 2, 3, 4, 5, 6])
    let error = #expect(throws: ClientError.self) { try MapStack(flat) }
    #expect(error?.description == "simlayd sent a malformed map tensor: shape [6], 24 bytes")
    var truncated = Simlay_V1_FloatTensor(shape: [1, 2, 2], values: [1, 2, 3, 4])
    truncated.data.removeLast(4)
    #expect(throws: ClientError.self) { try MapStack(truncated) }
  }
}
