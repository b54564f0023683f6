import Foundation
import SimlayCore
import SimlayEngine
import Synchronization

/// The loaded models by name, within a byte budget. Loading happens once per name; a name cannot be
/// reused for another file while it is loaded. A second name for a file already loaded shares that
/// load's weights (one copy whatever the number of names), and `unload` gives a name up.
public final class ModelRegistry: Sendable {
  private struct State {
    var models: [String: LoadedModel] = [:]
    var order: [String] = []
  }

  private let state = Mutex(State())
  /// The model requests with an empty `model` field use.
  public let defaultName: String
  /// Bytes of models the registry may hold (simlayd --max-model-mb): each file's weights once, plus each
  /// name's name and path.
  public let capacity: Int

  /// A registry whose default model is `defaultName` (which must be added before use).
  public init(defaultName: String, capacity: Int = Int.max) {
    self.defaultName = defaultName
    self.capacity = capacity
  }

  /// Adds a loaded model, within the budget.
  public func add(_ model: LoadedModel) throws {
    try state.withLock { s in
      if let existing = s.models[model.name] {
        guard existing.path == model.path else {
          throw ServiceError(.alreadyExists, "model name '\(model.name)' is already used for \(existing.path)")
        }
      } else {
        var after = s.models
        after[model.name] = model
        let bytes = Self.bytes(of: after.values)
        guard bytes <= capacity else {
          throw ServiceError(
            .resourceExhausted,
            "loading '\(model.name)' (\(model.model.weightBytes) bytes of weights) would make the daemon hold \(bytes) bytes of models, beyond --max-model-mb (\(capacity) bytes): unload a model first",
            details: ErrorDetails(
              .limitExceeded, metadata: ["limit": "--max-model-mb", "bytes": "\(bytes)", "capacity": "\(capacity)"],
              quotaViolations: [.init(subject: "model bytes (--max-model-mb)", description: "\(bytes) > \(capacity)")]))
        }
      }
      s.models[model.name] = model
      if !s.order.contains(model.name) { s.order.append(model.name) }
    }
  }

  /// Loads `path` as `name` unless that exact model (same file; the same preprocessing when overrides are
  /// given) is already loaded. A name is never rebound to another file or another preprocessing. When
  /// another name already holds the same file, its weights are shared (the file is not read again).
  public func load(name: String, path: String, overrides: InputPipeline.Overrides = .init()) throws -> LoadedModel {
    if let m = state.withLock({ $0.models[name] }) {
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
    let file = ModelFileIdentity(path: path)
    let shared = file.flatMap { f in state.withLock { s in s.models.values.first { $0.file == f }?.model } }
    if shared == nil, let size = file?.size {
      // Refused before reading: the file's size is about its weights' (a model is its tensors).
      let held = usage.bytes
      guard held + Int(size) <= capacity else {
        throw ServiceError(
          .resourceExhausted,
          "the model file is \(size) bytes and the daemon already holds \(held) bytes of models; --max-model-mb allows \(capacity) bytes: unload a model first",
          details: ErrorDetails(
            .limitExceeded, metadata: ["limit": "--max-model-mb", "bytes": "\(held + Int(size))"],
            quotaViolations: [
              .init(subject: "model bytes (--max-model-mb)", description: "\(held + Int(size)) > \(capacity)")
            ]))
      }
    }
    let loaded = try LoadedModel(name: name, path: path, overrides: overrides, sharing: shared)
    try add(loaded)
    return loaded
  }

  /// Gives up `name`: NOT_FOUND for an unknown name, FAILED_PRECONDITION for the default model (requests
  /// without a model field need it). Returns the model and whether its weights are now unreferenced by
  /// any other name (they are freed once requests still using them finish).
  public func unload(_ name: String) throws -> (model: LoadedModel, weightsFreed: Bool) {
    guard name != defaultName else {
      throw ServiceError(
        .failedPrecondition, "model '\(name)' is the default model (requests without a model use it): it stays loaded")
    }
    return try state.withLock { s in
      guard let m = s.models.removeValue(forKey: name) else {
        let known = s.order
        throw ServiceError(
          .notFound, "no model '\(name)' to unload (loaded: \(known.joined(separator: ", ")))",
          details: ErrorDetails(.modelNotFound, metadata: ["model": name]))
      }
      s.order.removeAll { $0 == name }
      return (m, !s.models.values.contains { $0.model === m.model })
    }
  }

  /// The model named `name` ("" = default), or NOT_FOUND.
  public func get(_ name: String) throws -> LoadedModel {
    let key = name.isEmpty ? defaultName : name
    guard let m = state.withLock({ $0.models[key] }) else {
      let known = all.map(\.name)
      throw ServiceError(
        .notFound, "no model '\(key)' (loaded: \(known.isEmpty ? "none" : known.joined(separator: ", ")))",
        details: ErrorDetails(.modelNotFound, metadata: ["model": key]))
    }
    return m
  }

  /// Every loaded model, in load order.
  public var all: [LoadedModel] {
    state.withLock { s in s.order.compactMap { s.models[$0] } }
  }

  /// Bytes held (each distinct engine model's weights once, plus every name's name and path) and the
  /// number of distinct weight sets.
  public var usage: (bytes: Int, weightSets: Int) {
    state.withLock { s in
      (Self.bytes(of: s.models.values), Set(s.models.values.map { ObjectIdentifier($0.model) }).count)
    }
  }

  private static func bytes(of models: some Collection<LoadedModel>) -> Int {
    var seen = Set<ObjectIdentifier>()
    var bytes = 0
    for m in models {
      bytes += m.nameBytes
      if seen.insert(ObjectIdentifier(m.model)).inserted { bytes += m.model.weightBytes }
    }
    return bytes
  }
}
