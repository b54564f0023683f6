import ArgumentParser
import SimlayService

/// Work and byte budgets per request and for what clients make the daemon hold: `simlayd --max-nmf-work N
/// --max-render-pixels N --max-sweep-steps N --max-sweep-queries N --max-model-mb N --nmf-cache-mb N`. Defaults and why: see
/// `ServiceConfiguration`.
struct BudgetOptions: ParsableArguments {
  @Option(name: .customLong("max-nmf-work"), help: "Most NMF work per request: rows (images x H x W) x k x max_iter.")
  var maxNMFWork: Int = ServiceConfiguration().maxNMFWork

  @Option(
    name: .customLong("max-render-pixels"), help: "Most pixels one request may render: tiles x tile_size^2.")
  var maxRenderPixels: Int = ServiceConfiguration().maxRenderPixels

  @Option(name: .customLong("max-sweep-steps"), help: "Most steps (one forward pass each) per Sweep.")
  var maxSweepSteps: Int = ServiceConfiguration().maxSweepSteps

  @Option(
    name: .customLong("max-sweep-queries"), help: "Most queries (cells, regions or pixels) one Sweep may track.")
  var maxSweepQueries: Int = ServiceConfiguration().maxSweepQueries

  @Option(
    name: .customLong("max-batch-queries"),
    help: "Most queries per SimilarityBatch call (cells, regions, pixels, or all cells of an image).")
  var maxBatchQueries: Int = ServiceConfiguration().maxBatchQueries

  @Option(
    name: .customLong("max-model-mb"),
    help: "Most MiB of models held: each file's weights once (names sharing a file share them), plus names and paths.")
  var maxModelMB: Int = ServiceConfiguration().maxModelBytes >> 20

  @Option(name: .customLong("nmf-cache-mb"), help: "MiB of recent NMF results kept for group queries and viewers.")
  var nmfCacheMB: Int = ServiceConfiguration().nmfResultBytes >> 20

  func validate() throws {
    for (v, name) in [
      (maxNMFWork, "--max-nmf-work"), (maxRenderPixels, "--max-render-pixels"), (maxSweepSteps, "--max-sweep-steps"),
      (maxSweepQueries, "--max-sweep-queries"), (maxBatchQueries, "--max-batch-queries"),
      (maxModelMB, "--max-model-mb"), (nmfCacheMB, "--nmf-cache-mb"),
    ] where v <= 0 {
      throw ValidationError("\(name) must be positive")
    }
    guard maxModelMB <= 1 << 30, nmfCacheMB <= 1 << 30 else {
      throw ValidationError("--max-model-mb and --nmf-cache-mb must be at most \(1 << 30)")
    }
  }

  /// Writes the budgets into `config`.
  func apply(to config: inout ServiceConfiguration) {
    config.maxNMFWork = maxNMFWork
    config.maxRenderPixels = maxRenderPixels
    config.maxSweepSteps = maxSweepSteps
    config.maxSweepQueries = maxSweepQueries
    config.maxBatchQueries = maxBatchQueries
    config.maxModelBytes = maxModelMB << 20
    config.nmfResultBytes = nmfCacheMB << 20
  }
}
