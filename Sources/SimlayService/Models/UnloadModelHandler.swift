import GRPCCore
import SimlayEngine
import SimlayProto

extension SimlayService {
  /// UnloadModel: gives up a name (see `ModelRegistry.unload`), then drops what was held for it: its
  /// cached activations (keyed by that load, so nothing computed for it can be served to a later load
  /// of the same name) and its recent NMF results.
  public func unloadModel(request: Simlay_V1_UnloadModelRequest, context: ServerContext) async throws
    -> Simlay_V1_UnloadModelResponse
  {
    do {
      guard !request.name.isEmpty else {
        throw ServiceError(.invalidArgument, "name is empty: name the model to unload")
      }
      let (model, weightsFreed) = try state.models.unload(request.name)
      let freed = state.cache.removeAll(model: model.cacheID)
      state.recentFactorisations.removeAll { $0.hasPrefix(model.cacheID + "|") }
      // The recycled pass buffers were sized by this model's passes; other models refill theirs in one pass.
      if weightsFreed { BufferRecycling.drain() }
      state.logger.info(
        "model unloaded",
        metadata: [
          "name": "\(model.name)", "weights_freed": "\(weightsFreed)", "cache_entries": "\(freed.entries)",
        ])
      return .with {
        $0.name = model.name
        $0.weightsFreed = weightsFreed
        $0.weightBytes = Int64(model.model.weightBytes)
        $0.cacheEntriesFreed = Int64(freed.entries)
        $0.cacheBytesFreed = Int64(freed.bytes)
      }
    } catch {
      throw ServiceError.from(error)
    }
  }
}
