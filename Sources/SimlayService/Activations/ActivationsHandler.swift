import SimlayCore
import SimlayEngine
import SimlayProto
import SimlayWire

// The Activations call: one layer's tensor for one image, as the model computes it (what the in-process
// `simlay activations` writes), answered from the activation cache the queries use.

extension DaemonState {
  /// The tensor of `request.layer` for `request.image_id`: [1, C, H, W], [1, H, W, C] or [1, T, D] as the
  /// layer's layout is (another named tensor: its own shape, no layout); RESOURCE_EXHAUSTED, before any forward pass, when it would exceed the message limit.
  func activations(_ request: Simlay_V1_ActivationsRequest) async throws -> Simlay_V1_ActivationsResponse {
    let model = try models.get(request.model)
    guard !request.layer.isEmpty else { throw ServiceError(.invalidArgument, "layer is empty") }
    let image = try images([request.imageID], for: model)[0]
    guard let layer = try? model.layer(request.layer) else {
      return try await otherTensor(request.layer, model: model, image: image)
    }
    let g = layer.grid
    let shape: [Int]
    switch g.layout {
    case .nchw: shape = [1, g.channels, g.height, g.width]
    case .nhwc: shape = [1, g.height, g.width, g.channels]
    case .tokens(let prefix): shape = [1, prefix + g.cellCount, g.channels]
    }
    try checkAnswerSize(shape, layer: layer.name)
    let values: [Float]
    if case .tokens(let prefix) = g.layout, prefix > 0 {
      // The cache keeps only the patch tokens; the class/register tokens need the tensor itself.
      values = try await executor.run {
        let out = try model.model.run(model.pipeline.tensor(for: [image.image]), keep: [layer.name])
        guard let t = out[layer.name], t.shape == shape else {
          throw ServiceError(.internalError, "layer '\(layer.name)' came out of the forward pass with another shape")
        }
        return t.withFloats { Array($0) }
      }
    } else {
      let grid = try await grids(model: model, images: [image], layers: [layer.name])[0][0]
      values = try await executor.run {
        guard let v = grid.values(in: g.layout) else {
          throw ServiceError(.internalError, "layer '\(layer.name)' has no cached form of its tensor")
        }
        return v
      }
    }
    let tensor = try await executor.run { Simlay_V1_FloatTensor(shape: shape, values: values) }
    return Simlay_V1_ActivationsResponse.with {
      $0.layer = layer.name
      $0.layout = g.layoutName
      $0.activations = tensor
    }
  }

  /// A named tensor that is not a grid (logits, a pooled vector), which the in-process command writes too:
  /// from a forward pass of its own (the cache holds grids only), its size checked once it is known. An
  /// unknown name is the NOT_FOUND of `LoadedModel.layer`, with its suggestions.
  func otherTensor(_ name: String, model: LoadedModel, image: StoredImage) async throws -> Simlay_V1_ActivationsResponse
  {
    let (shape, values) = try await executor.run { () throws -> ([Int], [Float]?) in
      let out: [String: Tensor]
      do {
        out = try model.model.run(model.pipeline.tensor(for: [image.image]), keep: [name])
      } catch let e as EngineError where e.code == .unknownTensor {
        _ = try model.layer(name)
        throw e
      }
      guard let t = out[name] else {
        _ = try model.layer(name)
        return ([], nil)
      }
      return (t.shape, t.dataType == .float32 ? t.withFloats { Array($0) } : nil)
    }
    guard let values else {
      throw ServiceError(
        .invalidArgument, "tensor '\(name)' is not float32 (shape \(shape)): only float32 tensors are answered")
    }
    try checkAnswerSize(shape, layer: name)
    let tensor = try await executor.run { Simlay_V1_FloatTensor(shape: shape, values: values) }
    return Simlay_V1_ActivationsResponse.with {
      $0.layer = name
      $0.activations = tensor
    }
  }

  /// RESOURCE_EXHAUSTED naming the answer's size, the limit and both settings that raise it.
  func checkAnswerSize(_ shape: [Int], layer: String) throws {
    let bytes = shape.reduce(4, *)
    let limit = configuration.maxMessageBytes
    // 1 KiB for the message's own fields (names, shape) around the payload.
    guard bytes + 1024 <= limit else {
      throw ServiceError(
        .resourceExhausted,
        "the activations of layer '\(layer)' (\(shape) float32) are \(bytes) bytes, over the daemon's message limit of \(limit) bytes: raise simlayd --max-message-mb, and the client's receive limit (grpc.max_receive_message_length)",
        details: ErrorDetails(
          .limitExceeded, metadata: ["limit": "\(limit)", "requested": "\(bytes)", "what": "answer bytes"],
          quotaViolations: [.init(subject: "--max-message-mb", description: "\(bytes) > \(limit) bytes")]))
    }
  }
}
