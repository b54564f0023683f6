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

  /// One forward pass and the requests waiting for it. When the last of them is cancelled the pass is
  /// cancelled too (it leaves the compute queue, or stops before its next step), so abandoned requests
  /// never keep the forward thread; while any waiter remains it runs for all of them.
  private struct Pass {
    var task: Task<[String: ActivationGrid], any Error>
    var waiters: Int
  }

  private struct State {
    var entries: [Key: Entry] = [:]
    var inflight: [Key: UInt64] = [:]
    /// Forward passes running or queued, by id, with how many requests still wait for each.
    var passes: [UInt64: Pass] = [:]
    var nextPass: UInt64 = 0
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
  /// Cancelling the calling task withdraws it from the passes it waits for (see `Pass`).
  func grids(model: LoadedModel, image: StoredImage, layers: [String], variant: InputVariant = .identity) async throws
    -> [ActivationGrid]
  {
    let keys = layers.map { Key(model: model.cacheID, image: image.id, variant: variant.key, layer: $0) }
    var found: [Key: ActivationGrid] = [:]
    var waits: [Key: UInt64] = [:]
    var tasks: [UInt64: Task<[String: ActivationGrid], any Error>] = [:]
    var started: UInt64?
    state.withLock { s in
      var missing: [Key] = []
      for key in Set(keys) {
        if var e = s.entries[key] {
          s.tick += 1
          e.tick = s.tick
          s.entries[key] = e
          found[key] = e.grid
          s.hits += 1
        } else if let id = s.inflight[key], let pass = s.passes[id] {
          waits[key] = id
          tasks[id] = pass.task
          s.hits += 1
        } else {
          missing.append(key)
          s.misses += 1
        }
      }
      if !missing.isEmpty {
        s.forwards += 1
        s.nextPass += 1
        let id = s.nextPass
        let names = missing.map(\.layer)
        let t = Task { try await self.compute(model: model, image: image, layers: names, variant: variant) }
        s.passes[id] = Pass(task: t, waiters: 0)
        for key in missing {
          s.inflight[key] = id
          waits[key] = id
        }
        tasks[id] = t
        started = id
      }
      for id in tasks.keys { s.passes[id]?.waiters += 1 }
    }
    let registration = Registration(cache: self, passes: Array(tasks.keys))
    return try await withTaskCancellationHandler {
      if let started, let task = tasks[started] {
        // This request started the pass: store its result (or clear the in-flight marks on failure).
        let result: Result<[String: ActivationGrid], any Error>
        do { result = .success(try await task.value) } catch { result = .failure(error) }
        state.withLock { s in
          for (key, id) in waits where id == started && s.inflight[key] == id { s.inflight[key] = nil }
          s.passes[started] = nil
          if case .success(let grids) = result {
            for (layer, grid) in grids {
              insert(Key(model: model.cacheID, image: image.id, variant: variant.key, layer: layer), grid, into: &s)
            }
          }
        }
      }
      for (key, id) in waits {
        guard let task = tasks[id] else { continue }
        let grids = try await task.value
        guard let g = grids[key.layer] else {
          throw ServiceError(.internalError, "layer '\(key.layer)' missing from a forward pass")
        }
        found[key] = g
      }
      registration.finish(cancelled: false)
      return keys.map { found[$0]! }
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
        passes.compactMap { id -> Task<[String: ActivationGrid], any Error>? in
          guard var pass = s.passes[id] else { return nil }
          pass.waiters -= 1
          s.passes[id] = pass
          guard cancelled, pass.waiters <= 0 else { return nil }
          // Forgotten at once, so that a request arriving now starts a fresh pass instead of joining
          // this cancelled one.
          s.passes[id] = nil
          for (key, value) in s.inflight where value == id { s.inflight[key] = nil }
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
