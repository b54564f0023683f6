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
    /// Models whose batched pass failed where single-image passes worked.
    var unbatchable = Set<String>()
  }

  private let state = Mutex(State())
  let capacity: Int
  private let executor: ComputeExecutor
  /// Most inputs in one batched forward pass.
  let maxBatch: Int
  /// Engine threads for a batched pass (single-image passes use one, beside the other forward threads).
  let batchThreads: Int

  init(capacity: Int, executor: ComputeExecutor, maxBatch: Int = 8, batchThreads: Int = 1) {
    self.capacity = capacity
    self.executor = executor
    self.maxBatch = max(1, maxBatch)
    self.batchThreads = max(1, batchThreads)
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
    try await grids(model: model, images: [image], layers: layers, variants: [variant])[0]
  }

  /// The grids of `layers` for each image (under `variants[i]`), computing those not cached: images missing
  /// the same layers share batched forward passes of up to `maxBatch` inputs. Why: 16 new images took
  /// 0.95 s as 16 one-image passes (21 images/s) where a batch-8 pass runs about 4x the images per second.
  func grids(model: LoadedModel, images: [StoredImage], layers: [String], variants: [InputVariant]) async throws
    -> [[ActivationGrid]]
  {
    let keys = images.indices.map { i in
      layers.map { Key(model: model.name, image: images[i].id, variant: variants[i].key, layer: $0) }
    }
    var found: [Key: ActivationGrid] = [:]
    var waits: [Key: Task<[String: ActivationGrid], any Error>] = [:]
    var started: [(image: Int, task: Task<[String: ActivationGrid], any Error>)] = []
    state.withLock { s in
      // Per image, the layers no entry or pass in flight covers; images missing the same ones batch together.
      var missingByLayers: [[String]: [Int]] = [:]
      var claimed = Set<Key>()
      for (i, imageKeys) in keys.enumerated() {
        var missing: [String] = []
        for key in imageKeys where !claimed.contains(key) && found[key] == nil && waits[key] == nil {
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
            missing.append(key.layer)
            claimed.insert(key)
            s.misses += 1
          }
        }
        if !missing.isEmpty { missingByLayers[missing, default: []].append(i) }
      }
      for (names, members) in missingByLayers {
        for chunk in stride(from: 0, to: members.count, by: maxBatch).map({
          Array(members[$0..<min($0 + maxBatch, members.count)])
        }) {
          s.forwards += 1
          let batch = Task {
            try await self.compute(
              model: model, images: chunk.map { images[$0] }, layers: names, variants: chunk.map { variants[$0] })
          }
          for (j, i) in chunk.enumerated() {
            let t = Task { try await batch.value[j] }
            for name in names {
              let key = Key(model: model.name, image: images[i].id, variant: variants[i].key, layer: name)
              s.inflight[key] = t
              waits[key] = t
            }
            started.append((i, t))
          }
        }
      }
    }
    // The passes this request started: store their results (or clear the in-flight marks on failure).
    for (i, task) in started {
      let result: Result<[String: ActivationGrid], any Error>
      do { result = .success(try await task.value) } catch { result = .failure(error) }
      state.withLock { s in
        for (key, t) in waits where t == task && s.inflight[key] == task { s.inflight[key] = nil }
        if case .success(let grids) = result {
          for (layer, grid) in grids {
            insert(Key(model: model.name, image: images[i].id, variant: variants[i].key, layer: layer), grid, into: &s)
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
    return keys.map { row in row.map { found[$0]! } }
  }

  /// One forward pass per input shape over `images` (each under its variant), or one pass per image when
  /// the batched pass fails: a model whose graph fixes the batch at 1 (a Reshape to [1, ...]) still answers,
  /// and is not batched again.
  private func compute(model: LoadedModel, images: [StoredImage], layers: [String], variants: [InputVariant])
    async throws -> [[String: ActivationGrid]]
  {
    let batched = images.count > 1 && !state.withLock { $0.unbatchable.contains(model.name) }
    if batched {
      do {
        return try await executor.run {
          try Self.pass(model: model, images: images, layers: layers, variants: variants, threads: self.batchThreads)
        }
      } catch is CancellationError {
        throw CancellationError()
      } catch {
        // Fall through to one pass per image; if those work, batching is what failed.
      }
    }
    var out: [[String: ActivationGrid]] = []
    for (image, variant) in zip(images, variants) {
      try Task.checkCancellation()
      out.append(
        try await executor.run {
          try Self.pass(model: model, images: [image], layers: layers, variants: [variant], threads: 1)[0]
        })
    }
    if batched { state.withLock { _ = $0.unbatchable.insert(model.name) } }
    return out
  }

  /// The forward passes for `images`: inputs of one shape run as one batch.
  private static func pass(
    model: LoadedModel, images: [StoredImage], layers: [String], variants: [InputVariant], threads: Int
  ) throws -> [[String: ActivationGrid]] {
    let inputs = try zip(images, variants).map { try $1.apply($0.input) }
    var out = [[String: ActivationGrid]](repeating: [:], count: images.count)
    var byShape: [[Int]: [Int]] = [:]
    for (i, t) in inputs.enumerated() { byShape[t.shape, default: []].append(i) }
    for (shape, members) in byShape {
      let input =
        members.count == 1
        ? inputs[members[0]]
        : Tensor(
          shape: [members.count] + shape.dropFirst(), floats: members.flatMap { inputs[$0].floats })
      let values = try model.model.run(input, keep: layers, context: ExecutionContext(threads: threads))
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
        for (b, i) in members.enumerated() { out[i][name] = ActivationGrid(tensor: t, grid: grid, batchIndex: b) }
      }
    }
    return out
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
