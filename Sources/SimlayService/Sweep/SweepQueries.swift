import SimlayCore
import SimlayEngine
import SimlayProto

extension DaemonState {
  /// A Sweep's queries, `queries` (cells) then `query_points` (cells, regions or pixels, resolved to cells
  /// by Similarity's `queryCells`), each with its label. OUT_OF_RANGE or INVALID_ARGUMENT naming the query.
  func sweepQueries(_ request: Simlay_V1_SweepRequest, image: StoredImage, layer: GridLayer) throws -> [SweepQuery] {
    let (h, w) = (layer.height, layer.width)
    var queries = try request.queries.map { c -> SweepQuery in
      guard c.y >= 0, c.y < h, c.x >= 0, c.x < w else {
        throw ServiceError(
          .outOfRange,
          "query cell (\(c.y), \(c.x)) is outside the grid: layer '\(layer.name)' has a grid of \(h) x \(w) cells (y in 0..<\(h), x in 0..<\(w))"
        )
      }
      return SweepQuery(
        cells: .init(y0: Int(c.y), x0: Int(c.x), y1: Int(c.y) + 1, x1: Int(c.x) + 1), pixel: nil, label: "")
    }
    for (i, q) in request.queryPoints.enumerated() {
      guard q.imageID.isEmpty || q.imageID == request.imageID else {
        throw ServiceError(
          .invalidArgument,
          "query_points[\(i)].image_id \(ServiceError.quoted(q.imageID, limit: 40)) is not the swept image: leave it empty or give image_id"
        )
      }
      if case .group = q.position {
        throw ServiceError(
          .invalidArgument, "query_points[\(i)]: a sweep tracks cells, regions or pixels, not NMF groups")
      }
      do {
        let cells = try queryCells(q, image: image, layer: layer.name, height: h, width: w)
        var pixel: (y: Double, x: Double)?
        if case .pixel(let p) = q.position {
          // A pixel on the right or bottom edge belongs to the last cell (CellMapping): track it from a
          // millionth of a pixel inside, which rescaling to the input cannot round back onto the edge.
          let (pw, ph) = (Double(image.image.width), Double(image.image.height))
          pixel = (y: min(p.py, ph - 1e-6), x: min(p.px, pw - 1e-6))
        }
        queries.append(SweepQuery(cells: cells, pixel: pixel, label: ""))
      } catch let e as ServiceError {
        throw ServiceError(e.code, "query_points[\(i)]: \(e.message)", details: e.details)
      }
    }
    for i in queries.indices {
      queries[i].label =
        i < request.queryLabels.count && !request.queryLabels[i].isEmpty ? request.queryLabels[i] : "q\(i)"
    }
    return queries
  }
}
