import Foundation
import SimlayCore
import SimlayEngine
import SimlayProto

extension LoadedModel {
  /// The wire description of the model.
  var info: Simlay_V1_ModelInfo {
    Simlay_V1_ModelInfo.with { m in
      m.name = name
      m.path = path
      m.inputHeight = Int32(pipeline.preprocessing.height)
      m.inputWidth = Int32(pipeline.preprocessing.width)
      m.mean = pipeline.preprocessing.mean
      m.std = pipeline.preprocessing.std
      m.layers = layers.map { l in
        Simlay_V1_Layer.with {
          $0.name = l.name
          $0.channels = Int32(l.channels)
          $0.height = Int32(l.height)
          $0.width = Int32(l.width)
          $0.strideY = l.stride.y
          $0.strideX = l.stride.x
        }
      }
    }
  }
}

extension Simlay_V1_FloatTensor {
  /// Packs floats little-endian (the wire format the .proto documents).
  init(shape: [Int], values: [Float]) {
    self.init()
    self.shape = shape.map(Int64.init)
    self.data = values.withUnsafeBufferPointer { Data(buffer: $0) }
  }
}

extension Simlay_V1_Metric {
  /// The maths' metric, or INVALID_ARGUMENT for a value this daemon does not know.
  func similarityMetric() throws -> SimilarityMetric {
    switch self {
    case .cosine: return .cosine
    case .dot: return .dot
    case .euclidean: return .euclidean
    case .UNRECOGNIZED(let v): throw ServiceError(.invalidArgument, "unknown metric \(v) (use COSINE, DOT or EUCLIDEAN)")
    }
  }
}
