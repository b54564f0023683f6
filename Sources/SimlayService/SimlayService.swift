import Foundation
import GRPCCore
import SimlayCore
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
    try await handle { Simlay_V1_AddImagesResponse(try await state.addImages(state.decode(request))) }
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
        let query = try state.decode(request)
        let result = try await state.similarity(query)
        var response = Simlay_V1_SimilarityResponse(result)
        var top: [TopMatch] = []
        if let request = query.top { top = try await state.topMatches(result, request) }
        response.top = top.map { Simlay_V1_Match($0, targets: result.targets) }
        if let style {
          let boxes = !request.render.hasDrawTop || request.render.drawTop ? top : []
          response.rendered = Simlay_V1_RenderedImage(
            try await state.renderedOverlay(
              answers: [result.answer], targets: result.targets,
              queryImage: result.queryImage, metric: result.metric, style: style, boxes: boxes))
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
            let decoded = try state.decode(query)
            let result = try await state.similarity(decoded)
            var answer = Simlay_V1_SimilarityResponse(result)
            if let top = decoded.top {
              answer.top = try await state.topMatches(result, top).map { Simlay_V1_Match($0, targets: result.targets) }
            }
            try await response.write(answer)
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
        response.rendered = Simlay_V1_RenderedImage(
          try await state.renderedOverlay(
            answers: result.answers, targets: result.targets,
            queryImage: result.pointImage, metric: result.metric, style: style))
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
    try await handle { Simlay_V1_SweepResponse(try await state.sweep(state.decode(request))) }
  }

  public func exportViewer(request: Simlay_V1_ExportViewerRequest, context: ServerContext) async throws
    -> Simlay_V1_ExportViewerResponse
  {
    try await handle { Simlay_V1_ExportViewerResponse(try await state.exportViewer(state.decode(request))) }
  }

  public func pca(request: Simlay_V1_PcaRequest, context: ServerContext) async throws -> Simlay_V1_PcaResponse {
    try await handle { Simlay_V1_PcaResponse(try await state.pca(state.decode(request))) }
  }

  public func compareModels(request: Simlay_V1_CompareModelsRequest, context: ServerContext) async throws
    -> Simlay_V1_CompareModelsResponse
  {
    try await handle {
      let style = request.hasRender ? try state.renderStyle(request.render) : nil
      let result = try await state.compare(state.decode(request))
      var response = Simlay_V1_CompareModelsResponse(result)
      if let style {
        response.rendered = Simlay_V1_RenderedImage(
          try await state.renderedOverlay(
            answers: result.rows.map(\.answer), targets: result.photos, queryImage: nil, metric: result.metric,
            style: style, queryColumn: result.pointImage,
            rowTitles: result.rows.map { "\($0.model) \($0.answer.layer)" }))
      }
      return response
    }
  }

  public func similarityBatch(request: Simlay_V1_SimilarityBatchRequest, context: ServerContext) async throws
    -> Simlay_V1_SimilarityBatchResponse
  {
    try await handle { Simlay_V1_SimilarityBatchResponse(try await state.similarityBatch(state.decode(request))) }
  }

  public func exportViewerStream(
    request: Simlay_V1_ExportViewerRequest, response: RPCWriter<Simlay_V1_ExportViewerChunk>, context: ServerContext
  ) async throws {
    try await handle {
      let page = try await state.exportViewer(state.decode(request))
      for chunk in Simlay_V1_ExportViewerChunk.chunks(of: page.html) { try await response.write(chunk) }
    }
  }

  public func activations(request: Simlay_V1_ActivationsRequest, context: ServerContext) async throws
    -> Simlay_V1_ActivationsResponse
  {
    try await handle { try await state.activations(request) }
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
