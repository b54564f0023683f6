import SimlayCore
import SimlayImaging

/// A fitted PCA view of one layer over N images.
struct PCAResult: Sendable {
  var layer: String
  var height: Int
  var width: Int
  var fit: PCA.Fit
  /// N*H*W flags (all true without a threshold).
  var foreground: [Bool]
  /// N*H*W*3 colours of the first three components.
  var colors: [UInt8]
  var png: [UInt8]?
}

extension DaemonState {
  /// The compute step of Pca: the images' grids (batched forward passes for new ones), then the fit, the
  /// colours and the picture on the compute executor.
  func pca(_ job: PCAJob) async throws -> PCAResult {
    let grids = try await self.grids(model: job.model, images: job.images, layers: [job.layer.name]).map { $0[0] }
    let (layer, images) = (job.layer, job.images)
    return try await executor.run {
      let fit: PCA.Fit
      do {
        fit = try PCA.fit(grids: grids, components: job.components)
      } catch let failure as PCA.Failure {
        throw ServiceError(.invalidArgument, "layer '\(layer.name)': \(failure.description)")
      }
      let foreground = job.foregroundThreshold.map { fit.foreground(threshold: $0) }
      let colors = fit.colors(foreground: foreground)
      var result = PCAResult(
        layer: layer.name, height: layer.height, width: layer.width, fit: fit,
        foreground: foreground ?? [Bool](repeating: true, count: fit.rows), colors: colors, png: nil)
      if let style = job.style {
        result.png = try PNGEncoder.encode(Self.pcaGrid(result, images: images, style: style))
      }
      return result
    }
  }

  /// Photos in the first row, each one's component colours (cells upsampled, nearest) in the second.
  static func pcaGrid(_ result: PCAResult, images: [StoredImage], style: RenderStyle) -> RGBImage {
    var grid = GridComposer(rows: 2, columns: images.count)
    if style.titles {
      grid.columnTitles = images.map(\.name)
      let shares = result.fit.explainedFraction.prefix(3).map { "\(Int(($0 * 100).rounded()))%" }
      grid.rowTitles = ["photo", "PC1-\(min(3, result.fit.components)) \(shares.joined(separator: " "))"]
    }
    let plane = result.height * result.width
    for (i, image) in images.enumerated() {
      let photo = ImageScaler.fit(image.image, longestSide: style.tileSize)
      grid.set(row: 0, column: i, tile: photo)
      let cells = Array(result.colors[(i * plane * 3)..<((i + 1) * plane * 3)])
      grid.set(
        row: 1, column: i,
        tile: Self.nearest(cells, height: result.height, width: result.width, to: (photo.width, photo.height)))
    }
    return grid.compose()
  }

  /// An h x w RGB cell image scaled to `size` pixels by nearest neighbour (cells stay crisp squares).
  static func nearest(_ cells: [UInt8], height h: Int, width w: Int, to size: (width: Int, height: Int)) -> RGBImage {
    var pixels = [UInt8](repeating: 0, count: size.width * size.height * 3)
    for y in 0..<size.height {
      let cy = min(y * h / max(size.height, 1), h - 1)
      for x in 0..<size.width {
        let cx = min(x * w / max(size.width, 1), w - 1)
        let (src, dst) = ((cy * w + cx) * 3, (y * size.width + x) * 3)
        pixels[dst] = cells[src]
        pixels[dst + 1] = cells[src + 1]
        pixels[dst + 2] = cells[src + 2]
      }
    }
    return RGBImage(width: size.width, height: size.height, pixels: pixels)
  }
}
