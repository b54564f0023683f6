import Foundation
import GRPCCore
import SimlayImaging
import SimlayProto

/// The `simlay.v1.Simlay` service: thin handlers over `DaemonState`. Every error leaves as a gRPC status
/// naming what was wrong; nothing a request does can corrupt what other clients have cached.
public struct SimlayService: Simlay_V1_Simlay.SimpleServiceProtocol {
  /// The shared daemon state.
  public let state: DaemonState

  /// A service over `state`.
  public init(state: DaemonState) {
    self.state = state
  }

  /// Runs a handler body as a caller of its own on the compute executor (which serves callers in turn),
  /// cancelled when its RPC is (see `cancelledWithRPC`), mapping any error to a gRPC status.
  private func handle<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    do {
      return try await ComputeExecutor.$caller.withValue(ComputeExecutor.newCaller()) {
        try await cancelledWithRPC(lifecycle: state.configuration.lifecycle, body)
      }
    } catch {
      throw ServiceError.from(error)
    }
  }

  public func listModels(request: Simlay_V1_ListModelsRequest, context: ServerContext) async throws
    -> Simlay_V1_ListModelsResponse
  {
    Simlay_V1_ListModelsResponse.with {
      $0.models = state.models.all.map(\.info)
      $0.defaultModel = state.models.defaultName
    }
  }

  public func loadModel(request: Simlay_V1_LoadModelRequest, context: ServerContext) async throws -> Simlay_V1_ModelInfo
  {
    try await handle {
      guard !request.name.isEmpty, !request.path.isEmpty else {
        throw ServiceError(.invalidArgument, "name and path are both required")
      }
      let path = try state.configuration.modelDirectories.resolve(request.path)
      let overrides = try request.overrides()
      let registry = state.models
      let loaded = try await state.executor.run {
        try registry.load(name: request.name, path: path, overrides: overrides)
      }
      state.logger.info("model loaded", metadata: ["name": "\(loaded.name)", "path": "\(loaded.path)"])
      return loaded.info
    }
  }

  public func addImages(request: Simlay_V1_AddImagesRequest, context: ServerContext) async throws
    -> Simlay_V1_AddImagesResponse
  {
    try await handle {
      guard !request.images.isEmpty else { throw ServiceError(.invalidArgument, "images is empty") }
      try state.checkLimit(request.images.count, state.configuration.maxImagesPerRequest, "images")
      let bytes = request.images.reduce(0) { $0 + $1.data.count }
      guard bytes <= state.configuration.maxMessageBytes else {
        throw ServiceError(
          .resourceExhausted,
          "\(bytes) bytes of images in one request exceed the daemon's message limit of \(state.configuration.maxMessageBytes) bytes; send fewer images per call"
        )
      }
      let model = try state.models.get(request.model)
      let (store, key, maxPixels) = (state.images, model.preprocessingKey, state.configuration.maxImagePixels)
      try Self.checkDecodeBudget(
        request.images, maxImagePixels: maxPixels, budget: state.configuration.maxRequestPixels)
      // Decoding is CPU work: it runs with the forward passes, off the RPC threads.
      let infos = try await state.executor.run {
        try request.images.enumerated().map { i, upload in
          let name = upload.name.isEmpty ? "image \(i)" : upload.name
          let (image, existed) = try store.add(
            bytes: [UInt8](upload.data), name: name, preprocessingKey: key, maxPixels: maxPixels)
          return Simlay_V1_ImageInfo.with {
            $0.id = image.id
            $0.width = Int32(image.image.width)
            $0.height = Int32(image.image.height)
            $0.name = image.name
            $0.existed = existed
          }
        }
      }
      return Simlay_V1_AddImagesResponse.with { $0.images = infos }
    }
  }

  public func similarity(request: Simlay_V1_SimilarityRequest, context: ServerContext) async throws
    -> Simlay_V1_SimilarityResponse
  {
    try await handle {
      try await withTaskExecutorPreference(state.configuration.hoverExecutor) {
        // The style is checked before any map is computed: a bad option costs no forward pass.
        let style = request.hasRender ? try state.renderStyle(request.render) : nil
        if let style {
          try state.checkRenderPixels(
            tiles: request.targetIds.count, tileSize: style.tileSize, what: "the overlay grid")
        }
        let result = try await state.similarity(state.decode(request))
        var response = Simlay_V1_SimilarityResponse(result)
        if let style {
          response.rendered = try await state.renderedOverlay(
            answers: [result.answer], targets: result.targets,
            queryImage: result.queryImage, metric: result.metric, style: style)
        }
        return response
      }
    }
  }

  public func similarityStream(
    request: RPCAsyncSequence<Simlay_V1_SimilarityRequest, any Error>,
    response: RPCWriter<Simlay_V1_SimilarityResponse>, context: ServerContext
  ) async throws {
    try await handle {
      try await withTaskExecutorPreference(state.configuration.hoverExecutor) {
        // Ends with UNAVAILABLE when the daemon shuts down while the stream is idle (see ServingLifecycle).
        try await state.configuration.lifecycle.forEachUntilShutdown(request) { query in
          let started = ContinuousClock.now
          do {
            // Hover answers are maps only (the proto says `render` is ignored here): clients draw them.
            try await response.write(Simlay_V1_SimilarityResponse(try await state.similarity(state.decode(query))))
            state.requestStats.record(
              method: "SimilarityStream.message", milliseconds: StatsInterceptor.ms(ContinuousClock.now - started),
              failed: false)
          } catch {
            state.requestStats.record(
              method: "SimilarityStream.message", milliseconds: StatsInterceptor.ms(ContinuousClock.now - started),
              failed: true)
            throw error
          }
        }
      }
    }
  }

  public func layerSync(request: Simlay_V1_LayerSyncRequest, context: ServerContext) async throws
    -> Simlay_V1_LayerSyncResponse
  {
    try await handle {
      let style = request.hasRender ? try state.renderStyle(request.render) : nil
      if let style {
        try state.checkRenderPixels(
          tiles: request.layers.count * request.targetIds.count, tileSize: style.tileSize, what: "the overlay grid")
      }
      let result = try await state.sync(state.decode(request))
      var response = Simlay_V1_LayerSyncResponse(result)
      if let style {
        response.rendered = try await state.renderedOverlay(
          answers: result.answers, targets: result.targets,
          queryImage: result.pointImage, metric: result.metric, style: style)
      }
      return response
    }
  }

  public func nmf(request: Simlay_V1_NmfRequest, context: ServerContext) async throws -> Simlay_V1_NmfResponse {
    try await handle {
      // Decode (the style first: a bad option costs no forward pass), compute, encode.
      let style = request.hasRender ? try state.renderStyle(request.render) : nil
      if let style {
        try state.checkRenderPixels(
          tiles: request.imageIds.count, tileSize: style.tileSize, what: "the NMF groups image")
      }
      let answer = try await state.nmfAnswer(state.decode(request))
      var response = Simlay_V1_NmfResponse(answer)
      if let style {
        let highlight = request.hasHighlightGroup ? Int(request.highlightGroup) : nil
        response.png = Data(try await state.renderedGroups(answer, style: style, highlight: highlight))
      }
      return response
    }
  }

  public func sweep(request: Simlay_V1_SweepRequest, context: ServerContext) async throws -> Simlay_V1_SweepResponse {
    try await handle { try await state.sweep(request) }
  }

  public func exportViewer(request: Simlay_V1_ExportViewerRequest, context: ServerContext) async throws
    -> Simlay_V1_ExportViewerResponse
  {
    try await handle { try await state.exportViewer(request) }
  }

  public func stats(request: Simlay_V1_StatsRequest, context: ServerContext) async throws -> Simlay_V1_StatsResponse {
    let c = state.cache.statistics
    let images = state.images.usage
    return Simlay_V1_StatsResponse.with {
      $0.models = state.models.all.map(\.info)
      $0.cache = .with {
        $0.bytes = Int64(c.bytes)
        $0.capacityBytes = Int64(state.cache.capacity)
        $0.entries = Int64(c.entries)
        $0.hits = c.hits
        $0.misses = c.misses
        $0.evictions = c.evictions
        $0.forwardPasses = c.forwards
      }
      $0.methods = state.requestStats.snapshot().map { m in
        Simlay_V1_MethodStats.with {
          $0.method = m.method
          $0.requests = m.requests
          $0.errors = m.errors
          $0.p50Ms = m.p50
          $0.p90Ms = m.p90
          $0.p99Ms = m.p99
        }
      }
      $0.uptimeSeconds = StatsInterceptor.ms(ContinuousClock.now - state.started) / 1000
      $0.images = Int64(images.count)
      $0.limits = Self.limits(state.configuration)
      $0.version = Self.version
      $0.imageBytes = Int64(images.bytes)
      let models = state.models.usage
      $0.modelBytes = Int64(models.bytes)
      $0.modelWeightSets = Int32(models.weightSets)
      $0.nmfResultBytes = Int64(state.recentFactorisations.bytes)
      $0.cancelledJobs = state.executor.cancellations
    }
  }
}
