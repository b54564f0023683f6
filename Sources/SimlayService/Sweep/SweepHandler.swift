import SimlayCore
import SimlayImaging

extension DaemonState {
  /// The compute step of Sweep: one (cached) forward pass per transformed input, each query's vector (taken
  /// from the untransformed image) compared with every cell of each transformed one, and the pictures asked for.
  func sweep(_ job: SweepJob) async throws -> SweepResult {
    let (layer, h, w) = (job.layer, job.layer.height, job.layer.width)
    let all = try await grids(
      model: job.model, images: Array(repeating: job.image, count: job.transforms.count + 1), layers: [layer.name],
      variants: [.identity] + job.transforms.map(\.variant))
    let vectors = job.queries.map { QueryVector(all[0][0].vector(y: $0.y, x: $0.x)) }
    let plane = h * w
    var answer = SweepAnswer(
      layer: layer.name, height: h, width: w, transforms: job.transforms, queries: job.queries, labels: job.labels,
      maps: [], tracked: [])
    for (step, transform) in job.transforms.enumerated() {
      let grid = all[step + 1][0]
      let maps = vectors.flatMap { Self.maps(of: $0, over: [grid], metric: job.metric) }
      answer.maps.append(maps)
      answer.tracked.append(
        job.queries.enumerated().map { qi, q in
          let cell = transform.track(y: q.y, x: q.x, height: h, width: w)
          return (cell, cell.inBounds ? maps[qi * plane + cell.y * w + cell.x] : .nan)
        })
    }
    // The chart, the strip's transformed inputs, their overlays and the PNG encoding are pixel work: on the
    // compute executor with the forward passes, not on the RPC thread.
    let (finished, pipeline, source) = (answer, job.model.pipeline, job.image.image)
    return try await executor.runCancellable { cancellation in
      let chart = job.chart ? try PNGEncoder.encode(self.sweepChart(finished, kind: job.kind, metric: job.metric)) : nil
      var strip: [UInt8]?
      if let style = job.strip {
        let input = pipeline.planarInput(source)
        let images = try job.transforms.map {
          try cancellation.check()
          return pipeline.denormalised($0.apply(input))
        }
        strip = try PNGEncoder.encode(self.sweepStrip(finished, images: images, metric: job.metric, style: style))
      }
      return SweepResult(answer: finished, chartPNG: chart, stripPNG: strip)
    }
  }
}
