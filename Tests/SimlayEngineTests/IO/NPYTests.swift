import Foundation
import SimlayEngine
import Testing

@Suite("NPY files")
struct NPYTests {
  @Test("float32 tensors round-trip, on odd shapes", arguments: [[13], [3, 1, 7], [2, 124], [0, 5]])
  func floats(shape: [Int]) throws {
    let count = shape.reduce(1, *)
    let values = (0..<count).map { Float($0) * 0.37 - 5 }
    let data = NPY.encode(Tensor(shape: shape, floats: values))
    let back = try NPY.decode(data)
    #expect(back.shape == shape)
    #expect(back.floats == values)
    // numpy's rule: magic + version + length + header end on a 64-byte boundary, the header with "\n".
    let headerLength = Int(data[8]) | Int(data[9]) << 8
    #expect((10 + headerLength) % 64 == 0)
    #expect(data[10 + headerLength - 1] == UInt8(ascii: "\n"))
    #expect(data.count == 10 + headerLength + 4 * count)
  }

  @Test("a raw <i4 payload (the daemon's Int32Tensor) is written as given and reads back")
  func int32Payload() throws {
    let values: [Int32] = [0, -1, 7, Int32.max, Int32.min, 42]
    let payload = values.withUnsafeBytes { Data($0) }
    let data = NPY.encode(descr: "<i4", shape: [2, 3], payload: payload)
    let header = String(decoding: data[10..<(10 + (Int(data[8]) | Int(data[9]) << 8))], as: UTF8.self)
    #expect(header.hasPrefix("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }"))
    let back = try NPY.decode(data)
    #expect(back.shape == [2, 3])
    #expect(back.floats == values.map(Float.init))
  }

  @Test("a 1-D shape is written as a one-element tuple, as numpy spells it")
  func oneDimensional() {
    let data = NPY.encode(descr: "<f4", shape: [5], payload: Data(count: 20))
    let text = String(decoding: data.prefix(80), as: UTF8.self)
    #expect(text.contains("'shape': (5,), }"))
  }
}
