import Foundation
import SimlayClient
import SimlayProto

/// What `simlay nmf` writes: .npy files, the JSON summary and the printed table.
enum NMFOutput {
  /// groups.npy, strength.npy, W.npy and H.npy in `dir`.
  static func writeNPYs(_ response: Simlay_V1_NmfResponse, to dir: String) throws {
    let url = URL(fileURLWithPath: dir)
    try OutputFile.writeNPY(response.groups, to: url.appendingPathComponent("groups.npy").path)
    try OutputFile.writeNPY(response.strength, to: url.appendingPathComponent("strength.npy").path)
    try OutputFile.writeNPY(response.w, to: url.appendingPathComponent("W.npy").path)
    try OutputFile.writeNPY(response.h, to: url.appendingPathComponent("H.npy").path)
  }

  /// Positions per group in each image: [image][group].
  static func groupSizes(_ response: Simlay_V1_NmfResponse, images: Int, k: Int) -> [[Int]] {
    let plane = Int(response.height * response.width)
    var sizes = [[Int]](repeating: [Int](repeating: 0, count: k), count: images)
    for (i, g) in response.groups.values.enumerated() where plane > 0 && Int(g) < k {
      sizes[i / plane][Int(g)] += 1
    }
    return sizes
  }

  /// The `--json` document.
  static func document(
    _ response: Simlay_V1_NmfResponse, request: Simlay_V1_NmfRequest, files: ImageFiles,
    infos: [Simlay_V1_ImageInfo]
  ) -> Document {
    let k = Int(request.k)
    return Document(
      model: request.model, layer: response.layer, k: k,
      policy: ["refuse", "clamp", "split"][min(max(request.policy.rawValue, 0), 2)],
      init: ["nndsvda", "nndsvd", "random"][min(max(request.init_p.rawValue, 0), 2)],
      seed: Int(request.seed), relativeError: response.relativeError, iterations: Int(response.iterations),
      solveSeconds: response.solveSeconds, grid: [Int(response.height), Int(response.width)],
      columns: Int(response.columns),
      images: files.names, imageIds: infos.map(\.id), groupSizes: groupSizes(response, images: infos.count, k: k),
      groups: response.groups.values)
  }

  /// The `--json` document's fields.
  struct Document: Encodable {
    var model: String
    var layer: String
    var k: Int
    var policy: String
    var `init`: String
    var seed: Int
    var relativeError: Double
    var iterations: Int
    var solveSeconds: Double
    var grid: [Int]
    var columns: Int
    var images: [String]
    var imageIds: [String]
    var groupSizes: [[Int]]
    var groups: [Int32]

    enum CodingKeys: String, CodingKey {
      case model, layer, k, policy, `init`, seed, iterations, grid, columns, images, groups
      case relativeError = "relative_error", solveSeconds = "solve_seconds", imageIds = "image_ids", groupSizes =
        "group_sizes"
    }
  }

  /// The printed summary: error, iterations, then one line per image with its group sizes.
  static func summaryLines(_ response: Simlay_V1_NmfResponse, names: [String]) -> [String] {
    let k = Int(response.h.shape.first ?? 0)
    let sizes = groupSizes(response, images: names.count, k: k)
    var lines = [
      String(
        format: "%@ %dx%d, k = %d: relative error %.4f after %d iterations (%.3f s)",
        response.layer, response.height, response.width, k, response.relativeError,
        response.iterations, response.solveSeconds)
    ]
    let width = names.map(\.count).max() ?? 0
    for (name, s) in zip(names, sizes) {
      let padded = name.padding(toLength: width, withPad: " ", startingAt: 0)
      lines.append("\(padded)  " + s.enumerated().map { "g\($0.offset):\($0.element)" }.joined(separator: " "))
    }
    return lines
  }
}
