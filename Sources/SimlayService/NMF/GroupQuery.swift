import SimlayCore
import SimlayProto

extension DaemonState {
  /// The factorisation a group query names, validated: its layer must be empty (= the similarity's) or
  /// the similarity's layer.
  func decodeGroup(_ group: Simlay_V1_NmfGroup, layer: String) throws -> NMFJob {
    guard group.hasNmf else { throw ServiceError(.invalidArgument, "group query without its nmf request") }
    var request = group.nmf
    if request.layer.isEmpty { request.layer = layer }
    guard request.layer == layer else {
      throw ServiceError(
        .invalidArgument,
        "the group's NMF is at layer '\(request.layer)' but the similarity is at '\(layer)': centroids live in one layer's channels"
      )
    }
    if request.model.isEmpty { request.model = models.defaultName }
    return try decode(request)
  }

  /// The centroid of an NMF group at `layer`: the mean raw activation vector of every position whose
  /// strongest group is `group`, across the factorisation's images.
  func groupCentroid(_ job: NMFJob, group: Int32, layer: String) async throws -> [Float] {
    let answer = try await nmfAnswer(job)
    guard (0..<answer.k).contains(Int(group)) else {
      throw ServiceError(
        .outOfRange, "group \(group) is not a group: k = \(answer.k) (groups 0..<\(answer.k))",
        details: ErrorDetails(.groupOutOfRange, metadata: ["k": "\(answer.k)"]))
    }
    let model = job.model
    let grids = try await grids(model: model, images: answer.images, layers: [layer]).map { $0[0] }
    // Millions of additions for a few images: on Swift's pool, not the hover path's I/O thread, and not
    // queued behind forward passes either.
    return try await withTaskExecutorPreference(globalConcurrentExecutor) {
      let plane = answer.height * answer.width
      var sum = [Double](repeating: 0, count: grids.first?.depth ?? 0)
      var count = 0
      for (i, grid) in grids.enumerated() {
        for cell in 0..<plane where answer.groups[i * plane + cell] == group {
          let v = grid.vector(y: cell / answer.width, x: cell % answer.width)
          for c in v.indices { sum[c] += Double(v[c]) }
          count += 1
        }
      }
      guard count > 0 else {
        throw ServiceError(
          .invalidArgument,
          "group \(group) has no positions (no position's strongest group is \(group)): pick another group")
      }
      return sum.map { Float($0 / Double(count)) }
    }
  }
}
