import ArgumentParser
import Foundation
import SimlayClient
import SimlayProto

/// `simlay export-html`: one self-contained interactive HTML page of similarity overlays (via simlayd's
/// ExportViewer), which works offline from file:// with no server.
struct ExportHTML: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export-html",
    abstract: "Write a self-contained interactive HTML page: hover any patch of any IMAGE to see its similarity maps.",
    discussion: """
      The images are uploaded to simlayd, which computes every cell's maps over all images (all pairs, per \
      layer), packs them (8-bit, compressed) with the images into one HTML file, and this command writes it. \
      Open the file in a browser: moving the mouse over any image shows, on every tile, how similar each \
      patch is to the one under the pointer. Each image is a card with one tile per --layer, synchronised \
      by position (a point maps to each layer's cell by floor(p * H / image height)). With --nmf K a legend \
      of K NMF groups lets the reader highlight a group's positions in every image. With --pca the page \
      gets a PCA mode (its button, or the C key): every tile shows its image's first three principal \
      components of --pca-layer as RGB, fitted jointly over the images as `simlay pca` does (same colours), \
      with each component's explained variance; --pca-foreground-threshold T blacks out cells whose first \
      component is at most T. \
      The page is limited to 4096 cells per layer (images x H x W): use fewer images or a coarser layer.
      """)

  @OptionGroup var connection: ConnectionOptions

  @Option(help: "The daemon's model name (default: the daemon's default model; see `simlay models`).")
  var model: String = ""

  @Option(name: .customLong("layer"), help: "A layer to show, one row each (repeatable, or comma-separated).")
  var layers: [String]

  @Option(help: "Similarity measure.")
  var metric: MetricChoice = .cosine

  @Option(
    help: "Overlay colours: mask (darken dissimilar cells, as in the article), viridis, or diverging (signed metrics).")
  var colormap: ColormapChoice = .mask

  @Option(help: "How cells are scaled to pixels: nearest (blocky) or bilinear.")
  var upsample: UpsampleChoice = .nearest

  @Option(help: "Overlay opacity in (0, 1] (default 0.6).")
  var opacity: Float?

  @Option(
    name: .customLong("image-size"),
    help: "Longest side of each displayed image in pixels: 16 up to the daemon's limit, 1024 (default 256).")
  var imageSize: Int?

  @Option(name: .customLong("nmf"), help: ArgumentHelp("Add a legend of K NMF groups (0 = none).", valueName: "K"))
  var nmfK: Int = 0

  @Option(name: .customLong("nmf-layer"), help: "Layer the NMF groups are computed at (default: the first --layer).")
  var nmfLayer: String = ""

  // Clamp by default (unlike `simlay nmf`): most block outputs have negative values, and a legend of the
  // positive parts is what a reader of the page wants; refuse is there for those who insist.
  @Option(
    name: .customLong("nmf-policy"),
    help:
      "Negative activations at the NMF layer: clamp (factor max(x, 0)), split (positive and negative parts) or refuse.")
  var nmfPolicy: NMFPolicy = .clamp

  @Flag(help: "Add a PCA mode: each image's first three principal components as RGB (as `simlay pca`).")
  var pca = false

  @Option(name: .customLong("pca-layer"), help: "Layer the PCA is fitted at (default: the first --layer).")
  var pcaLayer: String = ""

  @Option(
    name: .customLong("pca-components"),
    help:
      "Components fitted for --pca (1 to 16, at most the layer's channels; default 3); the page lists their variance.")
  var pcaComponents: Int?

  @Option(
    name: .customLong("pca-foreground-threshold"),
    help: ArgumentHelp(
      "With --pca: cells whose first-component score is at most T are background (black).", valueName: "T"))
  var pcaForegroundThreshold: Float?

  @Option(help: "Page title (default: one naming the model and layers).")
  var title: String = ""

  @Option(help: "The HTML file to write.")
  var out: String

  @Argument(help: "Image files (PNG or JPEG), one column each.")
  var images: [String]

  /// `--nmf-policy`: the same choices as `simlay nmf --policy`.
  typealias NMFPolicy = PolicyChoice

  /// `--layer` values with commas split out.
  var layerNames: [String] {
    layers.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
  }

  func validate() throws {
    guard !images.isEmpty else { throw ValidationError("give at least one IMAGE") }
    guard !layerNames.isEmpty, !layerNames.contains(where: \.isEmpty) else {
      throw ValidationError("--layer needs a layer name")
    }
    guard nmfK >= 0 else { throw ValidationError("--nmf must be >= 0, got \(nmfK)") }
    if !nmfLayer.isEmpty, nmfK == 0 { throw ValidationError("--nmf-layer needs --nmf K") }
    if !pca, !pcaLayer.isEmpty || pcaComponents != nil || pcaForegroundThreshold != nil {
      throw ValidationError("--pca-layer, --pca-components and --pca-foreground-threshold need --pca")
    }
  }

  func run() async throws {
    try await reportingErrors {
      let files = try ImageFiles(images)
      try await connection.withDaemon { daemon in
        let infos = try await daemon.upload(files, model: model)
        var request = Simlay_V1_ExportViewerRequest()
        request.model = model
        request.layers = layerNames
        request.imageIds = infos.map(\.id)
        request.metric = metric.proto
        // The daemon checks the ranges (its message names render.opacity / render.tile_size = --image-size).
        request.render = .with {
          $0.colormap = colormap.proto
          $0.upsample = upsample.proto
          $0.opacity = opacity ?? 0
          $0.tileSize = Int32(clamping: imageSize ?? 0)
        }
        request.nmfK = Int32(nmfK)
        request.nmfLayer = nmfLayer
        request.nmfPolicy = nmfPolicy.proto
        request.pca = pca
        request.pcaLayer = pcaLayer
        request.pcaComponents = Int32(clamping: pcaComponents ?? 0)
        if let pcaForegroundThreshold { request.pcaForegroundThreshold = pcaForegroundThreshold }
        request.title = title
        let response = try await withProgress("computing the maps of every cell...") {
          try await daemon.exportViewer(request)
        }
        let page = Data(response.html.utf8)
        try OutputFile.write(page, to: out)
        print("\(out): \(page.count) bytes (\(formatBytes(page.count)))")
      }
    }
  }
}
