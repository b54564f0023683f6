import Foundation
import GRPCCore
import GRPCInProcessTransport
import SimlayProto
import SwiftProtobuf

/// The unary RPCs a page may call, by method name, with proto3 JSON in and out (protobuf's JSON mapping:
/// lowerCamelCase names, enums by name, bytes as base64). The calls are the daemon's own, made on the
/// in-process client, so their limits and errors are those of any gRPC client.
enum LiveCalls {
  /// The methods a page may call. Not LoadModel or UnloadModel: a page views, it does not administer.
  static let methods: Set<String> = [
    "ListModels", "AddImages", "Similarity", "LayerSync", "Nmf", "Sweep", "Pca", "CompareModels",
    "SimilarityBatch", "Stats",
  ]

  static let decoding: JSONDecodingOptions = {
    var o = JSONDecodingOptions()
    o.ignoreUnknownFields = false
    return o
  }()

  /// Protobuf's JSON mapping as it is: fields at their default (0, "", empty) are left out, so a page
  /// reads every field with its default.
  static let encoding = JSONEncodingOptions()

  /// A request message from `json`, or INVALID_ARGUMENT naming the message and the JSON error.
  static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, _ json: Data) throws -> M {
    do {
      return try M(jsonUTF8Data: json, options: decoding)
    } catch {
      throw RPCError(
        code: .invalidArgument,
        message:
          "the request is not a valid \(M.protoMessageName) in proto3 JSON: \(String(describing: error).prefix(200))")
    }
  }

  /// Calls `method` with the request `json`; answers the response as proto3 JSON.
  static func call(
    _ method: String, json: Data, on service: Simlay_V1_Simlay.Client<InProcessTransport.Client>, metadata: Metadata
  ) async throws -> String {
    func unary<Req: SwiftProtobuf.Message, Res: SwiftProtobuf.Message>(
      _ type: Req.Type, _ rpc: (Req) async throws -> Res
    ) async throws -> String {
      try await rpc(try decode(Req.self, json)).jsonString(options: encoding)
    }
    let s = service
    let md = metadata
    switch method {
    case "ListModels":
      return try await unary(Simlay_V1_ListModelsRequest.self) { try await s.listModels($0, metadata: md) }
    case "AddImages":
      return try await unary(Simlay_V1_AddImagesRequest.self) { try await s.addImages($0, metadata: md) }
    case "Similarity":
      return try await unary(Simlay_V1_SimilarityRequest.self) { try await s.similarity($0, metadata: md) }
    case "LayerSync":
      return try await unary(Simlay_V1_LayerSyncRequest.self) { try await s.layerSync($0, metadata: md) }
    case "Nmf": return try await unary(Simlay_V1_NmfRequest.self) { try await s.nmf($0, metadata: md) }
    case "Sweep": return try await unary(Simlay_V1_SweepRequest.self) { try await s.sweep($0, metadata: md) }
    case "Pca": return try await unary(Simlay_V1_PcaRequest.self) { try await s.pca($0, metadata: md) }
    case "CompareModels":
      return try await unary(Simlay_V1_CompareModelsRequest.self) { try await s.compareModels($0, metadata: md) }
    case "SimilarityBatch":
      return try await unary(Simlay_V1_SimilarityBatchRequest.self) { try await s.similarityBatch($0, metadata: md) }
    case "Stats": return try await unary(Simlay_V1_StatsRequest.self) { try await s.stats($0, metadata: md) }
    default:
      throw RPCError(
        code: .unimplemented,
        message:
          "unknown method \(String(method.prefix(64)).debugDescription); a page may call \(methods.sorted().joined(separator: ", "))"
      )
    }
  }
}
