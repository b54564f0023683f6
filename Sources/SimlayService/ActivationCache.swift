import SimlayCore
import SimlayEngine
import Synchronization

/// A transformed model input (a rotation, a crop-and-resize...), cached under its own key.
struct InputVariant: Sendable {
  /// Identifies the transform and its parameters; "" only for the untransformed input.
  var key: String
  /// Maps the preprocessed [1, C, H, W] input to the transformed one.
  var apply: @Sendable (Tensor) throws -> Tensor

  /// The preprocessed image as is.
  static let identity = InputVariant(key: "", apply: { $0 })
}

/// Activations per (model, image, input variant, layer), computed on first need, shared by all clients, bounded in
/// bytes with least-recently-used eviction. Entries are `ActivationGrid`s: raw and pre-normalised cell
/// vectors, so a query is one matrix-vector product.
///
/// Concurrent requests for the same missing entry share one forward pass. A failed pass caches nothing.
final class ActivationCache: Sendable {
  struct Key: Hashable, Sendable {
    var model: String
    var image: String
    /// The input transform's key ("" = the plain preprocessed image).
    var variant: String
    var layer: String
  }

  private struct Entry {
    var grid: ActivationGrid
    var tick: UInt64
  }

  private struct State {
    var entries: [Key: Entry] = [:]
    var inflight: [Key: Task<[String: ActivationGrid], any Error>] = [:]
    var bytes = 0
    var tick: UInt64 = 0
    var hits: Int64 = 0
    var misses: Int64 = 0
    var evictions: Int64 = 0
    var forwards: Int64 = 0
  }

  private let state = Mutex(State())
  let capacity: Int
  private let executor: ComputeExecutor

  init(capacity: Int, executor: ComputeExecutor) {
    self.capacity = capacity
    self.executor = executor
  }

  /// The grids of `layers` for each image when every one is cached (counted as hits, marked recently used),
  /// else nil and nothing counted. The warm path of a query: one lock, no tasks.
  func cachedGrids(model: LoadedModel, images: [StoredImage], layers: [String], variants: [InputVariant]?)
    -> [[ActivationGrid]]?
  {
    state.withLock { s in
      var out: [[ActivationGrid]] = []
      out.reserveCapacity(images.count)
      // Positions, not keys: each key is hashed once (nothing is inserted or removed until they are used).
      var found: [Dictionary<Key, Entry>.Index] = []
      found.reserveCapacity(images.count * layers.count)
      for (i, image) in images.enumerated() {
        let variant = variants?[i].key ?? ""
        var row: [ActivationGrid] = []
        row.reserveCapacity(layers.count)
        for layer in layers {
          guard
            let index = s.entries.index(forKey: Key(model: model.name, image: image.id, variant: variant, layer: layer))
          else { return nil }
          row.append(s.entries.values[index].grid)
          found.append(index)
        }
        out.append(row)
      }
      // Counted and marked used only once every entry is known to be there.
      for index in found {
        s.tick += 1
        s.entries.values[index].tick = s.tick
      }
      s.hits += Int64(found.count)
      return out
    }
  }

  /// The grids of `layers` for one image, running (at most) one forward pass for those not cached.
  func grids(model: LoadedModel, image: StoredImage, layers: [String], variant: InputVariant = .identity) async throws
    -> [ActivationGrid]
  {
    let keys = layers.map { Key(model: model.name, image: image.id, variant: variant.key, layer: $0) }
    var found: [Key: ActivationGrid] = [:]
    var waits: [Key: Task<[String: ActivationGrid], any Error>] = [:]
    var task: Task<[String: ActivationGrid], any Error>?
    state.withLock { s in
      var missing: [Key] = []
      for key in Set(keys) {
        if var e = s.entries[key] {
          s.tick += 1
          e.tick = s.tick
          s.entries[key] = e
          found[key] = e.grid
          s.hits += 1
        } else if let t = s.inflight[key] {
          waits[key] = t
          s.hits += 1
        } else {
          missing.append(key)
          s.misses += 1
        }
      }
      guard !missing.isEmpty else { return }
      s.forwards += 1
      let names = missing.map(\.layer)
      let t = Task { try await self.compute(model: model, image: image, layers: names, variant: variant) }
      for key in missing {
        s.inflight[key] = t
        waits[key] = t
      }
      task = t
    }
    if let task {
      // This request started the pass: store its result (or clear the in-flight marks on failure).
      let result: Result<[String: ActivationGrid], any Error>
      do { result = .success(try await task.value) } catch { result = .failure(error) }
      state.withLock { s in
        for key in waits.keys where s.inflight[key] == task { s.inflight[key] = nil }
        if case .success(let grids) = result {
          for (layer, grid) in grids {
            insert(Key(model: model.name, image: image.id, variant: variant.key, layer: layer), grid, into: &s)
          }
        }
      }
    }
    for (key, t) in waits {
      let grids = try await t.value
      guard let g = grids[key.layer] else {
        throw ServiceError(.internalError, "layer '\(key.layer)' missing from a forward pass")
      }
      found[key] = g
    }
    return keys.map { found[$0]! }
  }

  private func compute(model: LoadedModel, image: StoredImage, layers: [String], variant: InputVariant) async throws
    -> [String: ActivationGrid]
  {
    try await executor.run {
      let input = try variant.apply(model.pipeline.tensor(for: [image.image]))
      let values = try model.model.run(input, keep: layers)
      var grids: [String: ActivationGrid] = [:]
      for name in layers {
        // The grid is read off the tensor itself (same rule as the listing), so a transformed input
        // of another size still yields a grid that matches the values.
        guard let t = values[name],
          let grid = LayerGrid.infer(
            shape: t.shape, inputHeight: input.shape[2], inputWidth: input.shape[3], batch: input.shape[0])
        else {
          throw ServiceError(
            .invalidArgument, "layer '\(name)' is not a grid of cells (NCHW, NHWC or tokens; see `simlay layers`)")
        }
        grids[name] = ActivationGrid(tensor: t, grid: grid, batchIndex: 0)
      }
      return grids
    }
  }

  private func insert(_ key: Key, _ grid: ActivationGrid, into s: inout State) {
    // An entry larger than the whole cache is returned to its caller but not kept.
    guard grid.byteCount <= capacity, s.entries[key] == nil else { return }
    s.tick += 1
    s.entries[key] = Entry(grid: grid, tick: s.tick)
    s.bytes += grid.byteCount
    while s.bytes > capacity, let victim = s.entries.min(by: { $0.value.tick < $1.value.tick }) {
      s.entries[victim.key] = nil
      s.bytes -= victim.value.grid.byteCount
      s.evictions += 1
    }
  }

  /// Counters for Stats.
  var statistics: (bytes: Int, entries: Int, hits: Int64, misses: Int64, evictions: Int64, forwards: Int64) {
    state.withLock { ($0.bytes, $0.entries.count, $0.hits, $0.misses, $0.evictions, $0.forwards) }
  }
}
