import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOPosix
import SimlayProto

/// One connection to simlayd: the generated client plus what every call carries (the bearer token and
/// generous message-size limits: maps and overlay PNGs can exceed gRPC's 4 MiB default).
public struct Daemon: Sendable {
  /// The generated client over the HTTP/2 transport.
  public typealias Client = Simlay_V1_Simlay.Client<HTTP2ClientTransport.Posix>

  /// The generated client, for calls this type does not wrap (the streaming RPCs).
  public let client: Client
  /// Sent with every call: the bearer token, if any.
  public let metadata: Metadata
  /// Every call's options (message-size limits).
  public let options: CallOptions
  /// The server as the user named it, for messages.
  public let server: String

  /// The daemon's models and its default.
  public func listModels() async throws -> Simlay_V1_ListModelsResponse {
    try await client.listModels(Simlay_V1_ListModelsRequest(), metadata: metadata, options: options)
  }

  /// Loads (or reloads) a model file in the daemon.
  public func loadModel(_ request: Simlay_V1_LoadModelRequest) async throws -> Simlay_V1_ModelInfo {
    try await client.loadModel(request, metadata: metadata, options: options)
  }

  /// Gives up a model name in the daemon (NOT_FOUND for an unknown one; the default model stays).
  public func unloadModel(name: String) async throws -> Simlay_V1_UnloadModelResponse {
    try await client.unloadModel(.with { $0.name = name }, metadata: metadata, options: options)
  }

  /// Uploads images (see `addImages(_:model:progress:)` for files).
  public func addImages(_ request: Simlay_V1_AddImagesRequest) async throws -> Simlay_V1_AddImagesResponse {
    try await client.addImages(request, metadata: metadata, options: options)
  }

  /// Similarity maps of one query against the targets.
  public func similarity(_ request: Simlay_V1_SimilarityRequest) async throws -> Simlay_V1_SimilarityResponse {
    try await client.similarity(request, metadata: metadata, options: options)
  }

  /// One query's maps on several layers.
  public func layerSync(_ request: Simlay_V1_LayerSyncRequest) async throws -> Simlay_V1_LayerSyncResponse {
    try await client.layerSync(request, metadata: metadata, options: options)
  }

  /// NMF groups of the images' cells.
  public func nmf(_ request: Simlay_V1_NmfRequest) async throws -> Simlay_V1_NmfResponse {
    try await client.nmf(request, metadata: metadata, options: options)
  }

  /// A transform sweep of one image.
  public func sweep(_ request: Simlay_V1_SweepRequest) async throws -> Simlay_V1_SweepResponse {
    try await client.sweep(request, metadata: metadata, options: options)
  }

  /// A self-contained HTML viewer.
  public func exportViewer(_ request: Simlay_V1_ExportViewerRequest) async throws -> Simlay_V1_ExportViewerResponse {
    try await client.exportViewer(request, metadata: metadata, options: options)
  }

  /// Principal components of a layer over images.
  public func pca(_ request: Simlay_V1_PcaRequest) async throws -> Simlay_V1_PcaResponse {
    try await client.pca(request, metadata: metadata, options: options)
  }

  /// Several models side by side on the same photos and point.
  public func compareModels(_ request: Simlay_V1_CompareModelsRequest) async throws -> Simlay_V1_CompareModelsResponse {
    try await client.compareModels(request, metadata: metadata, options: options)
  }

  /// One layer's activation tensor for one image.
  public func activations(_ request: Simlay_V1_ActivationsRequest) async throws -> Simlay_V1_ActivationsResponse {
    try await client.activations(request, metadata: metadata, options: options)
  }

  /// Many queries against the same targets in one call.
  public func similarityBatch(_ request: Simlay_V1_SimilarityBatchRequest) async throws
    -> Simlay_V1_SimilarityBatchResponse
  {
    try await client.similarityBatch(request, metadata: metadata, options: options)
  }

  /// The daemon's statistics.
  public func stats() async throws -> Simlay_V1_StatsResponse {
    try await client.stats(Simlay_V1_StatsRequest(), metadata: metadata, options: options)
  }
}
