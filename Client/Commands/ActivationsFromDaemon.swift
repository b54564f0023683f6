import Foundation
import SimlayClient
import SimlayProto

/// `simlay activations --from-daemon`: the same files as the in-process command, computed by simlayd (its
/// model, its preprocessing, its activation cache) through the Activations call.
struct DaemonActivations {
  var connection: ConnectionOptions
  /// The daemon's model name ("" = its default).
  var model: String
  var images: [String]
  var layers: [String]
  var out: String

  /// Uploads the images, asks for each layer of each image and writes DIR/LAYER.npy: float32, the layer's
  /// shape with the images as the batch ([N, C, H, W] for NCHW layers), as `simlay activations` writes it.
  func run() async throws {
    let files = try ImageFiles(images)
    try await connection.withDaemon { daemon in
      let infos = try await daemon.upload(files, model: model)
      for layer in layers {
        var shape: [Int64] = []
        var payload = Data()
        for info in infos {
          var request = Simlay_V1_ActivationsRequest()
          (request.model, request.imageID, request.layer) = (model, info.id, layer)
          let answer = try await withProgress("computing activations...") { try await daemon.activations(request) }
          let t = answer.activations
          guard let batch = t.shape.first, batch == 1, t.data.count == 4 * Int(t.shape.reduce(1, *)) else {
            throw CLIError("simlayd answered layer '\(layer)' with shape \(t.shape) and \(t.data.count) bytes")
          }
          if shape.isEmpty { shape = t.shape } else { shape[0] += 1 }
          payload.append(t.data)
        }
        let path = (out as NSString).appendingPathComponent(OutputFile.layerFileName(layer))
        try OutputFile.writeNPY(descr: "<f4", shape: shape, payload: payload, to: path)
      }
    }
  }
}
