import SimlayCore
import SimlayProto

// Top-K matches of a Similarity answer (SimilarityRequest.top_k): decoded with the request, selected on the
// compute executor once the maps exist, drawn as boxes by the overlay.

/// What a request asks of the top-K selection.
struct TopRequest: Sendable {
  var k: Int
  var perTarget: Bool
  /// Chebyshev radius around the query's cells on the query's own image; nil = nothing excluded.
  var excludeRadius: Int?
}

extension DaemonState {
  /// The request's top-K fields, or nil when top_k is 0. INVALID_ARGUMENT names the field and its range.
  func decodeTop(_ request: Simlay_V1_SimilarityRequest) throws -> TopRequest? {
    guard request.topK != 0 || request.hasExcludeRadius || request.topPerTarget else { return nil }
    guard (1...TopMatches.maxK).contains(Int(request.topK)) else {
      throw ServiceError(
        .invalidArgument,
        request.topK == 0
          ? "exclude_radius and top_per_target need top_k > 0"
          : "top_k \(request.topK) outside 1...\(TopMatches.maxK)",
        details: ErrorDetails(
          .invalidRequest, fieldViolations: [.init(field: "top_k", description: "1...\(TopMatches.maxK)")]))
    }
    if request.hasExcludeRadius {
      guard request.excludeRadius >= 0 else {
        throw ServiceError(
          .invalidArgument, "exclude_radius \(request.excludeRadius) is negative (cells; 0 = the query cells only)",
          details: ErrorDetails(.invalidRequest, fieldViolations: [.init(field: "exclude_radius", description: ">= 0")])
        )
      }
      if case .group = request.query.position {
        throw ServiceError(
          .invalidArgument, "exclude_radius needs a query with cells; an NMF group's centroid has none")
      }
    }
    return TopRequest(
      k: Int(request.topK), perTarget: request.topPerTarget,
      excludeRadius: request.hasExcludeRadius ? Int(request.excludeRadius) : nil)
  }

  /// The top matches of `result`, selected on the compute executor (a pass over up to 64 x 112 x 112 cells
  /// is milliseconds: not for the I/O thread that Similarity handlers run on).
  func topMatches(_ result: SimilarityResult, _ top: TopRequest) async throws -> [TopMatch] {
    let a = result.answer
    let exclusion = top.excludeRadius.flatMap { radius -> TopExclusion? in
      guard let query = result.queryImage else { return nil }
      let own = Set(result.targets.indices.filter { result.targets[$0].id == query.id })
      return TopExclusion(images: own, y0: a.cells.y0, x0: a.cells.x0, y1: a.cells.y1, x1: a.cells.x1, radius: radius)
    }
    let n = result.targets.count
    return try await executor.run {
      TopMatches.select(
        maps: a.maps, count: n, height: a.height, width: a.width, k: top.k, perMap: top.perTarget,
        exclusion: exclusion)
    }
  }
}

extension Simlay_V1_Match {
  /// A match on the wire, with its target's id.
  init(_ m: TopMatch, targets: [StoredImage]) {
    self.init()
    image = Int32(m.image)
    imageID = targets[m.image].id
    (y, x, value) = (Int32(m.y), Int32(m.x), m.value)
  }
}
