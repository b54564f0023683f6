import Foundation
import SimlayCore
import SimlayEngine
import Synchronization

/// A model the daemon holds: loaded once, shared by every client.
public struct LoadedModel: Sendable {
  /// The name clients use.
  public let name: String
  /// The file it came from.
  public let path: String
  /// The engine's model.
  public let model: Model
  /// How images become its input.
  public let pipeline: InputPipeline
  /// Its grid layers (NCHW, NHWC and token tensors; see `LayerGrid.infer`), the layers a query can
  /// name, in execution order.
  public let layers: [GridLayer]
  let layerIndex: [String: Int]

  /// Where its preprocessing came from: "given" (any override), "metadata" (the file's simlay.*
  /// properties) or "default" (ImageNet's normalisation at the input's declared size).
  public let preprocessingSource: String

  /// Identifies this load among all loads of the daemon's life: activations are cached under it, so a
  /// name unloaded and loaded again (perhaps from another file) never meets the old name's activations.
  let cacheID: String
  /// The file's identity when it was read (device, inode, size, modification time), by which a second
  /// name for the same file shares this model's weights.
  let file: ModelFileIdentity?

  /// Loads `path` as `name`, with `overrides` for what the file's metadata does not say; with `sharing`,
  /// the engine model already loaded from that file is used (its weights are not read or held again).
  public init(name: String, path: String, overrides: InputPipeline.Overrides = .init(), sharing: Model? = nil)
    throws
  {
    self.name = name
    self.path = path
    file = ModelFileIdentity(path: path)
    model = try sharing ?? Model(contentsOf: path)
    cacheID = "\(name)#\(Self.loads.add(1, ordering: .relaxed).newValue)"
    pipeline = try InputPipeline.forModel(model, overrides: overrides)
    let p = pipeline.preprocessing
    layers = try model.layers(inputShape: [1, 3, p.height, p.width]).compactMap(\.gridLayer)
    layerIndex = Dictionary(layers.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { a, _ in a })
    preprocessingKey = Self.key(pipeline)
    if overrides.size != nil || overrides.mean != nil || overrides.std != nil || overrides.channelOrder != nil {
      preprocessingSource = "given"
    } else if model.metadata.keys.contains(where: { $0.hasPrefix("simlay.") }) {
      preprocessingSource = "metadata"
    } else {
      preprocessingSource = "default"
    }
  }

  /// The description of `pipeline` that `preprocessingKey` holds.
  static func key(_ pipeline: InputPipeline) -> String {
    let p = pipeline.preprocessing
    return "size=\(p.width)x\(p.height);mean=\(p.mean);std=\(p.std);bgr=\(pipeline.bgr)"
  }

  /// The layer named `name`, or NOT_FOUND listing close names.
  func layer(_ name: String) throws -> GridLayer {
    guard let i = layerIndex[name] else {
      throw ServiceError(
        .notFound, "model '\(self.name)' has no layer '\(name)'\(Model.suggestions(for: name, in: layers.map(\.name)))",
        details: ErrorDetails(.layerNotFound, metadata: ["model": self.name, "layer": name]))
    }
    return layers[i]
  }

  /// A stable description of the preprocessing, hashed into image ids. Stored: every query compares it for
  /// each of its images, and formatting it showed up as a sixth of the daemon's CPU per query.
  let preprocessingKey: String

  private static let loads = Atomic<Int>(0)

  /// What this name makes the daemon hold besides the weights: its name and path.
  var nameBytes: Int { name.utf8.count + path.utf8.count }
}
