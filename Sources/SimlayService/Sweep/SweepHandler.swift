import SimlayCore
import SimlayImaging

extension DaemonState {
  /// The compute step of Sweep: one (cached) forward pass per transformed input, each query's vector (taken
  /// from the untransformed image) compared with every cell of each transformed one, and the pictures asked for.
  func sweep(_ job: SweepJob) async throws -> SweepResult {
    let (layer, h, w) = (job.layer, job.layer.height, job.layer.width)
    let (pipeline, source) = (job.model.pipeline, job.image.image)
    let all = try await grids(
      model: job.model, images: Array(repeating: job.image, count: job.transforms.count + 1), layers: [layer.name],
      variants: [.identity] + job.transforms.map { $0.variant(photo: source, pipeline: pipeline) })
    // Similarity's query vector: the cell's own, or the mean of a region's cells.
    let vectors = job.queries.map { q in
      let c = q.cells
      return QueryVector(
        c.y1 - c.y0 == 1 && c.x1 - c.x0 == 1
          ? all[0][0].vector(y: c.y0, x: c.x0) : all[0][0].meanVector(y0: c.y0, x0: c.x0, y1: c.y1, x1: c.x1))
    }
    let plane = h * w
    let sizes = (
      grid: (height: h, width: w),
      input: (height: pipeline.preprocessing.height, width: pipeline.preprocessing.width),
      photo: (height: source.height, width: source.width)
    )
    var answer = SweepAnswer(
      layer: layer.name, height: h, width: w, transforms: job.transforms, queries: job.queries, maps: [], tracked: [])
    for (step, transform) in job.transforms.enumerated() {
      let grid = all[step + 1][0]
      let maps = vectors.flatMap { Self.maps(of: $0, over: [grid], metric: job.metric) }
      answer.maps.append(maps)
      answer.tracked.append(
        job.queries.enumerated().map { qi, q in
          let cell = transform.track(q, grid: sizes.grid, input: sizes.input, photo: sizes.photo)
          let map = maps[(qi * plane)..<((qi + 1) * plane)]
          let best = job.trackRadius.flatMap {
            PointTracking.best(in: map, height: h, width: w, y: cell.y, x: cell.x, radius: $0)
          }
          return SweepTrack(
            cell: cell, similarity: cell.inBounds ? map[qi * plane + cell.y * w + cell.x] : .nan, best: best)
        })
    }
    // The chart, the strip's transformed inputs, their overlays and the PNG encoding are pixel work: on the
    // compute executor with the forward passes, not on the RPC thread.
    let finished = answer
    return try await executor.runCancellable { cancellation in
      let chart = job.chart ? try PNGEncoder.encode(self.sweepChart(finished, kind: job.kind, metric: job.metric)) : nil
      var strip: [UInt8]?
      if let style = job.strip {
        let input = job.space == .input ? pipeline.planarInput(source) : nil
        let images = try job.transforms.map { transform in
          try cancellation.check()
          // Photo space shows the transformed photo itself (its own shape), input space the model's input.
          guard let input else { return transform.apply(photo: source) }
          return pipeline.denormalised(transform.apply(input))
        }
        strip = try PNGEncoder.encode(self.sweepStrip(finished, images: images, metric: job.metric, style: style))
      }
      return SweepResult(answer: finished, chartPNG: chart, stripPNG: strip)
    }
  }
}
