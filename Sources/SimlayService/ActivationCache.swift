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

  /// One (batched) forward pass and the requests waiting for it. When the last of them is cancelled the pass
  /// is cancelled too (it leaves the compute queue, or stops before its next image), so abandoned requests
  /// never keep the forward thread; while any waiter remains it runs for all of them.
  private struct Pass {
    /// Per image of the batch, its grids by layer.
    var task: Task<[[String: ActivationGrid]], any Error>
    var waiters: Int
  }

  private struct State {
    var entries: [Key: Entry] = [:]
    /// The pass computing a missing key, and the key's image's index in that pass's batch.
    var inflight: [Key: (pass: UInt64, index: Int)] = [:]
    /// Forward passes running or queued, by id, with how many requests still wait for each.
    var passes: [UInt64: Pass] = [:]
    var nextPass: UInt64 = 0
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
            let index = s.entries.index(
              forKey: Key(model: model.cacheID, image: image.id, variant: variant, layer: layer))
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
      layers.map { Key(model: model.cacheID, image: images[i].id, variant: variants[i].key, layer: $0) }
    }
    var found: [Key: ActivationGrid] = [:]
    var waits: [Key: (pass: UInt64, index: Int)] = [:]
    var tasks: [UInt64: Task<[[String: ActivationGrid]], any Error>] = [:]
    /// The passes this request started, with the images of their batch.
    var started: [(pass: UInt64, images: [Int])] = []
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
          } else if let at = s.inflight[key], let pass = s.passes[at.pass] {
            waits[key] = at
            tasks[at.pass] = pass.task
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
        for start in stride(from: 0, to: members.count, by: maxBatch) {
          let chunk = Array(members[start..<min(start + maxBatch, members.count)])
          s.forwards += 1
          s.nextPass += 1
          let id = s.nextPass
          let task = Task {
            try await self.compute(
              model: model, images: chunk.map { images[$0] }, layers: names, variants: chunk.map { variants[$0] })
          }
          s.passes[id] = Pass(task: task, waiters: 0)
          tasks[id] = task
          for (j, i) in chunk.enumerated() {
            for name in names {
              let key = Key(model: model.cacheID, image: images[i].id, variant: variants[i].key, layer: name)
              s.inflight[key] = (id, j)
              waits[key] = (id, j)
            }
          }
          started.append((id, chunk))
        }
      }
      for id in tasks.keys { s.passes[id]?.waiters += 1 }
    }
    let registration = Registration(cache: self, passes: Array(tasks.keys))
    return try await withTaskCancellationHandler {
      // The passes this request started: store their results (or clear the in-flight marks on failure).
      for (id, members) in started {
        guard let task = tasks[id] else { continue }
        let result: Result<[[String: ActivationGrid]], any Error>
        do { result = .success(try await task.value) } catch { result = .failure(error) }
        state.withLock { s in
          for (key, at) in waits where at.pass == id && s.inflight[key]?.pass == id { s.inflight[key] = nil }
          s.passes[id] = nil
          if case .success(let batch) = result {
            for (j, i) in members.enumerated() {
              for (layer, grid) in batch[j] {
                insert(
                  Key(model: model.cacheID, image: images[i].id, variant: variants[i].key, layer: layer), grid, into: &s
                )
              }
            }
          }
        }
      }
      for (key, at) in waits {
        guard let task = tasks[at.pass] else { continue }
        let batch = try await task.value
        guard let g = batch[at.index][key.layer] else {
          throw ServiceError(.internalError, "layer '\(key.layer)' missing from a forward pass")
        }
        found[key] = g
      }
      registration.finish(cancelled: false)
      return keys.map { row in row.map { found[$0]! } }
    } onCancel: {
      registration.finish(cancelled: true)
    }
  }

  /// A request's hold on the passes it waits for, given up once: when it has its grids, or when it is
  /// cancelled (then a pass nobody else waits for is cancelled).
  private final class Registration: Sendable {
    let cache: ActivationCache
    let passes: [UInt64]
    let done = Atomic<Bool>(false)

    init(cache: ActivationCache, passes: [UInt64]) {
      (self.cache, self.passes) = (cache, passes)
    }

    func finish(cancelled: Bool) {
      guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
      let orphaned = cache.state.withLock { s in
        passes.compactMap { id -> Task<[[String: ActivationGrid]], any Error>? in
          guard var pass = s.passes[id] else { return nil }
          pass.waiters -= 1
          s.passes[id] = pass
          guard cancelled, pass.waiters <= 0 else { return nil }
          // Forgotten at once, so that a request arriving now starts a fresh pass instead of joining
          // this cancelled one.
          s.passes[id] = nil
          for (key, value) in s.inflight where value.pass == id { s.inflight[key] = nil }
          return pass.task
        }
      }
      for task in orphaned { task.cancel() }
    }
  }

  /// Drops every entry of the model load `cacheID` (UnloadModel): the entries and bytes freed.
  func removeAll(model cacheID: String) -> (entries: Int, bytes: Int) {
    state.withLock { s in
      let victims = s.entries.filter { $0.key.model == cacheID }
      var bytes = 0
      for (key, entry) in victims {
        s.entries[key] = nil
        bytes += entry.grid.byteCount
      }
      s.bytes -= bytes
      return (victims.count, bytes)
    }
  }

  /// One forward pass per input shape over `images` (each under its variant), or one pass per image when
  /// the batched pass fails: a model whose graph fixes the batch at 1 (a Reshape to [1, ...]) still answers,
  /// and is not batched again.
  private func compute(model: LoadedModel, images: [StoredImage], layers: [String], variants: [InputVariant])
    async throws -> [[String: ActivationGrid]]
  {
    let batched = images.count > 1 && !state.withLock { $0.unbatchable.contains(model.cacheID) }
    if batched {
      do {
        return try await executor.runCancellable { flag in
          try Self.pass(
            model: model, images: images, layers: layers, variants: variants, threads: self.batchThreads, stop: flag)
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
        try await executor.runCancellable { flag in
          try Self.pass(model: model, images: [image], layers: layers, variants: [variant], threads: 1, stop: flag)[0]
        })
    }
    if batched { state.withLock { _ = $0.unbatchable.insert(model.cacheID) } }
    return out
  }

  /// The forward passes for `images`: inputs of one shape run as one batch. They stop between steps once
  /// `stop` is set (the pass's last waiter went away), throwing `CancellationError`; nothing is cached then.
  private static func pass(
    model: LoadedModel, images: [StoredImage], layers: [String], variants: [InputVariant], threads: Int,
    stop: CancellationFlag
  ) throws -> [[String: ActivationGrid]] {
    let inputs = try zip(images, variants).map { try $1.apply($0.input) }
    var out = [[String: ActivationGrid]](repeating: [:], count: images.count)
    var byShape: [[Int]: [Int]] = [:]
    for (i, t) in inputs.enumerated() { byShape[t.shape, default: []].append(i) }
    for (shape, members) in byShape {
      let input = Tensor.batch(members.map { inputs[$0] })
      let values = try model.model.run(
        input, keep: layers, context: ExecutionContext(threads: threads, shouldStop: { stop.isCancelled }))
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
