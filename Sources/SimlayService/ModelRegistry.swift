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

  /// Loads `path` as `name`, with `overrides` for what the file's metadata does not say.
  public init(name: String, path: String, overrides: InputPipeline.Overrides = .init()) throws {
    self.name = name
    self.path = path
    model = try Model(contentsOf: path)
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
}

/// The loaded models by name. Loading happens once per name; a name cannot be reused for another file.
public final class ModelRegistry: Sendable {
  private let models = Mutex<[String: LoadedModel]>([:])
  private let order = Mutex<[String]>([])
  /// The model requests with an empty `model` field use.
  public let defaultName: String

  /// A registry whose default model is `defaultName` (which must be added before use).
  public init(defaultName: String) {
    self.defaultName = defaultName
  }

  /// Adds a loaded model.
  public func add(_ model: LoadedModel) throws {
    try models.withLock { m in
      if let existing = m[model.name], existing.path != model.path {
        throw ServiceError(.alreadyExists, "model name '\(model.name)' is already used for \(existing.path)")
      }
      m[model.name] = model
    }
    order.withLock { if !$0.contains(model.name) { $0.append(model.name) } }
  }

  /// Loads `path` as `name` unless that exact model (same file; the same preprocessing when overrides are
  /// given) is already loaded. A name is never rebound to another file or another preprocessing.
  public func load(name: String, path: String, overrides: InputPipeline.Overrides = .init()) throws -> LoadedModel {
    if let m = models.withLock({ $0[name] }) {
      guard m.path == path else {
        throw ServiceError(.alreadyExists, "model name '\(name)' is already used for \(m.path)")
      }
      let given =
        overrides.size != nil || overrides.mean != nil || overrides.std != nil || overrides.channelOrder != nil
      if given, try LoadedModel.key(InputPipeline.forModel(m.model, overrides: overrides)) != m.preprocessingKey {
        throw ServiceError(
          .alreadyExists,
          "model '\(name)' is already loaded from \(m.path) with other preprocessing (\(m.preprocessingKey)); load it under another name"
        )
      }
      return m
    }
    let loaded = try LoadedModel(name: name, path: path, overrides: overrides)
    try add(loaded)
    return loaded
  }

  /// The model named `name` ("" = default), or NOT_FOUND.
  public func get(_ name: String) throws -> LoadedModel {
    let key = name.isEmpty ? defaultName : name
    guard let m = models.withLock({ $0[key] }) else {
      let known = all.map(\.name)
      throw ServiceError(
        .notFound, "no model '\(key)' (loaded: \(known.isEmpty ? "none" : known.joined(separator: ", ")))",
        details: ErrorDetails(.modelNotFound, metadata: ["model": key]))
    }
    return m
  }

  /// Every loaded model, in load order.
  public var all: [LoadedModel] {
    let names = order.withLock { $0 }
    return models.withLock { m in names.compactMap { m[$0] } }
  }
}
