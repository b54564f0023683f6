import Foundation
import SimlayCore
import SimlayEngine
import SimlayProto
// The tensor <-> array packing shared with the client library (FloatTensor(shape:values:) and friends).
import SimlayWire

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
      m.channelOrder = pipeline.bgr ? "bgr" : "rgb"
      m.preprocessingSource = preprocessingSource
      m.layers = layers.map { l in
        Simlay_V1_Layer.with {
          $0.name = l.name
          $0.channels = Int32(l.channels)
          $0.height = Int32(l.height)
          $0.width = Int32(l.width)
          $0.strideY = l.stride.y
          $0.strideX = l.stride.x
          $0.layout = l.grid.layoutName
        }
      }
    }
  }
}

extension Simlay_V1_LoadModelRequest {
  /// The preprocessing the request gives (empty fields keep the file's), or INVALID_ARGUMENT naming the
  /// field.
  func overrides() throws -> InputPipeline.Overrides {
    var o = InputPipeline.Overrides()
    for (values, field) in [(mean, "mean"), (std, "std")] where !values.isEmpty {
      guard values.count == 3, values.allSatisfy(\.isFinite) else {
        throw ServiceError(.invalidArgument, "\(field) needs 3 finite values (R, G, B in 0..255 units), got \(values)")
      }
    }
    guard std.allSatisfy({ $0 > 0 }) else {
      throw ServiceError(.invalidArgument, "std values must be positive, got \(std)")
    }
    if !mean.isEmpty { o.mean = mean }
    if !std.isEmpty { o.std = std }
    if inputHeight != 0 || inputWidth != 0 {
      let limit = Int32(EngineLimits.maxInputSide)
      guard (1...limit).contains(inputHeight), (1...limit).contains(inputWidth) else {
        throw ServiceError(
          .invalidArgument,
          "input_height and input_width must both be in 1...\(limit) (or both 0 for the file's size), got \(inputHeight)x\(inputWidth)"
        )
      }
      o.size = (Int(inputHeight), Int(inputWidth))
    }
    if !channelOrder.isEmpty {
      let order = channelOrder.lowercased()
      guard order == "rgb" || order == "bgr" else {
        throw ServiceError(.invalidArgument, "channel_order must be rgb or bgr, got '\(channelOrder)'")
      }
      o.channelOrder = order
    }
    return o
  }
}

extension Simlay_V1_Metric {
  /// The maths' metric, or INVALID_ARGUMENT for a value this daemon does not know.
  func similarityMetric() throws -> SimilarityMetric {
    switch self {
    case .cosine: return .cosine
    case .dot: return .dot
    case .euclidean: return .euclidean
    case .UNRECOGNIZED(let v):
      throw ServiceError(.invalidArgument, "unknown metric \(v) (use COSINE, DOT or EUCLIDEAN)")
    }
  }
}
