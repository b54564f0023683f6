import SimlayCore

/// Per-request budgets on work whose cost grows with several fields at once, so that no single field
/// limit bounds it: NMF rows x k x iterations, rendered pixels, sweep forward passes. Each refusal is
/// RESOURCE_EXHAUSTED naming the budget, its flag, what was asked and what is allowed, before any of the
/// work runs.
extension DaemonState {
  /// NMF: rows (images x H x W) x k x max_iter within --max-nmf-work. One outer iteration costs about
  /// 4 x rows x columns x k flops (two GEMMs) plus the HALS sweeps' 3 x rows x k^2: the product of rows,
  /// k and the iteration budget is what the request controls.
  func checkNMFWork(rows: Int, options: NMF.Options) throws {
    let (work, overflow) = rows.multipliedReportingOverflow(by: options.k)
    let (total, overflow2) = work.multipliedReportingOverflow(by: options.maxIterations)
    let limit = configuration.maxNMFWork
    guard !overflow, !overflow2, total <= limit else {
      let shown = overflow || overflow2 ? "more than \(Int.max)" : "\(total)"
      throw budgetError(
        "NMF work", flag: "--max-nmf-work", asked: shown, limit: limit,
        "\(rows) rows x k \(options.k) x max_iter \(options.maxIterations) = \(shown) exceeds the NMF work budget of \(limit) (--max-nmf-work): use fewer images, a coarser layer, a smaller k or fewer iterations"
      )
    }
  }

  /// Rendering: `tiles` tiles of at most tile_size x tile_size pixels within --max-render-pixels (the
  /// grid's titles and legend add little). Why: a 16-layer x 16-image grid at tile 1024 took 148 s,
  /// 146 MB of PNG and 1.4 GB of memory.
  func checkRenderPixels(tiles: Int, tileSize: Int, what: String) throws {
    let pixels = tiles.multipliedReportingOverflow(by: tileSize * tileSize)
    let limit = configuration.maxRenderPixels
    guard !pixels.overflow, pixels.partialValue <= limit else {
      throw budgetError(
        "render pixels", flag: "--max-render-pixels", asked: "\(pixels.partialValue)", limit: limit,
        "\(what): \(tiles) tiles of up to \(tileSize) x \(tileSize) = \(pixels.partialValue) pixels exceed the render budget of \(limit) pixels (--max-render-pixels): use fewer tiles or a smaller tile_size"
      )
    }
  }

  /// Sweeps: one forward pass per step, at most --max-sweep-steps.
  func checkSweepSteps(_ steps: Int, what: String) throws {
    let limit = configuration.maxSweepSteps
    guard steps <= limit else {
      throw budgetError(
        "sweep forward passes", flag: "--max-sweep-steps", asked: "\(steps)", limit: limit,
        "\(steps) sweep \(what) (one forward pass each) exceed the budget of \(limit) forward passes per sweep (--max-sweep-steps)"
      )
    }
  }

  private func budgetError(_ budget: String, flag: String, asked: String, limit: Int, _ message: String)
    -> ServiceError
  {
    ServiceError(
      .resourceExhausted, message,
      details: ErrorDetails(
        .limitExceeded, metadata: ["limit": flag, "budget": budget, "requested": asked, "allowed": "\(limit)"],
        quotaViolations: [.init(subject: "\(budget) per request (\(flag))", description: "\(asked) > \(limit)")]))
  }
}
