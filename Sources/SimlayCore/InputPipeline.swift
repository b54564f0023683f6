import SimlayEngine
import SimlayImaging

/// How images become a model's input tensor: size, per-channel mean and std (0..255 units) and channel
/// order. Read from the converter's `metadata_props` (`simlay.input_size`, `simlay.mean`, `simlay.std`,
/// `simlay.channel_order`), overridable for models that carry none.
public struct InputPipeline: Sendable, Hashable {
  /// Resize, mean and std.
  public var preprocessing: Preprocessing
  /// Caffe models expect BGR planes.
  public var bgr: Bool

  /// Creates a pipeline.
  public init(preprocessing: Preprocessing, bgr: Bool = false) {
    self.preprocessing = preprocessing
    self.bgr = bgr
  }

  /// Overrides a caller may give (command-line flags); nil keeps what the model says.
  public struct Overrides: Sendable {
    /// Input height and width.
    public var size: (height: Int, width: Int)?
    /// Per-channel mean, RGB, 0..255 units.
    public var mean: [Float]?
    /// Per-channel std, RGB, 0..255 units.
    public var std: [Float]?
    /// Channel order "rgb" or "bgr".
    public var channelOrder: String?

    /// No overrides.
    public init(
      size: (height: Int, width: Int)? = nil, mean: [Float]? = nil, std: [Float]? = nil, channelOrder: String? = nil
    ) {
      self.size = size
      self.mean = mean
      self.std = std
      self.channelOrder = channelOrder
    }
  }

  /// The pipeline for `model`: its metadata, then the input's declared size, then ImageNet's usual
  /// torchvision normalisation (mean 123.675,116.28,103.53, std 58.395,57.12,57.375) for anything unsaid.
  public static func forModel(_ model: Model, overrides: Overrides = Overrides()) throws -> InputPipeline {
    func floats(_ key: String) -> [Float]? {
      guard let v = model.metadata[key] else { return nil }
      let f = v.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
      return f.count == 3 ? f : nil
    }
    var size = overrides.size
    if size == nil, let shape = model.defaultInputShape(batch: 1) { size = (shape[2], shape[3]) }
    guard let size else {
      throw EngineError(
        .invalidInput,
        "the model's input size is not fixed and its metadata does not give one: give an input size (--input-size H,W; simlayd --model NAME=PATH,size=H:W; LoadModel input_height and input_width)"
      )
    }
    let p = Preprocessing(
      width: size.width, height: size.height,
      mean: overrides.mean ?? floats("simlay.mean") ?? [123.675, 116.28, 103.53],
      std: overrides.std ?? floats("simlay.std") ?? [58.395, 57.12, 57.375])
    do { try p.validate() } catch { throw EngineError(.invalidInput, error.message) }
    let order = (overrides.channelOrder ?? model.metadata["simlay.channel_order"] ?? "rgb").lowercased()
    guard order == "rgb" || order == "bgr" else {
      throw EngineError(.invalidInput, "channel order must be rgb or bgr, got '\(order)'")
    }
    return InputPipeline(preprocessing: p, bgr: order == "bgr")
  }

  /// The NCHW float input for a batch of images, written straight into the tensor's buffer.
  public func tensor(for images: [RGBImage]) -> Tensor {
    let (h, w) = (preprocessing.height, preprocessing.width)
    return Tensor.writing(shape: [images.count, 3, h, w]) { data in
      preprocessing.batch(images, into: data)
      guard bgr else { return }
      let plane = h * w
      for n in 0..<images.count {
        let base = n * 3 * plane
        for i in 0..<plane { data.swapAt(base + i, base + 2 * plane + i) }
      }
    }
  }
}
