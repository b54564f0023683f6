/// Draws similarity maps over their images: the tiles of the daemon's rendered Similarity and LayerSync
/// answers and of the CLI's overlay output.
public enum OverlayRenderer {
  /// The outline colour: pure yellow, the article's highlight of the query patch.
  public static let outlineColor: (red: UInt8, green: UInt8, blue: UInt8) = (255, 255, 0)
  /// The colour of match boxes (top-K): cyan, apart from the yellow query outline on every colormap.
  public static let boxColor: (red: UInt8, green: UInt8, blue: UInt8) = (0, 255, 255)

  /// Draws a map over `image`, which must already be at the output size.
  ///
  /// The map (`mapHeight` x `mapWidth` floats, row-major) is normalised by
  /// `style.valueRange` (non-finite values become 0), upsampled to the image size
  /// (`style.upsample`), coloured and blended with `style.opacity` as described on
  /// ``Colormap``. Then, if `outline` is given, the part of it inside the map is outlined in
  /// ``outlineColor``, ``outlineWidth(imageWidth:imageHeight:)`` pixels wide, inside the
  /// cells' ``pixelBounds(of:mapHeight:mapWidth:imageWidth:imageHeight:)`` and on top of
  /// everything. `boxes` (e.g. the top-K matches) are outlined the same way in ``boxColor``, under the
  /// query's outline.
  ///
  /// Normalising before upsampling (rather than after) keeps out-of-range and non-finite
  /// values from bleeding into neighbouring cells under bilinear interpolation.
  ///
  /// - Returns: an image of the same size; `image` unchanged when it is empty or not
  ///   well-formed, a map size is not positive or `map.count != mapHeight * mapWidth`.
  public static func render(
    image: RGBImage, map: [Float], mapHeight: Int, mapWidth: Int, style: OverlayStyle,
    outline: CellRect?, boxes: [CellRect] = []
  ) -> RGBImage {
    guard image.width > 0, image.height > 0, image.isWellFormed, mapHeight > 0, mapWidth > 0,
      mapHeight.multipliedReportingOverflow(by: mapWidth) == (map.count, false)
    else { return image }
    let values = upsample(
      map.map(style.normalise), height: mapHeight, width: mapWidth,
      toWidth: image.width, toHeight: image.height, mode: style.upsample)
    var result = image
    OverlayBlending.blend(values, over: image.pixels, into: &result.pixels, style: style)
    let width = outlineWidth(imageWidth: image.width, imageHeight: image.height)
    func frame(_ cells: CellRect, _ color: (red: UInt8, green: UInt8, blue: UInt8)) {
      let bounds = pixelBounds(
        of: cells, mapHeight: mapHeight, mapWidth: mapWidth,
        imageWidth: image.width, imageHeight: image.height)
      drawOutline(bounds, width: width, color: color, into: &result)
    }
    for box in boxes { frame(box, boxColor) }
    if let outline { frame(outline, outlineColor) }
    return result
  }

  /// The pixel rectangle (`x0 <= x < x1`, `y0 <= y < y1`) that a rectangle of cells covers in
  /// an image of the given size.
  ///
  /// The rule is the exact inverse of the daemon's pixel-to-cell mapping
  /// `y = floor(py * mapHeight / imageHeight)` (likewise for x): cell row `y` covers pixel
  /// rows `ceil(y * imageHeight / mapHeight) ..< ceil((y + 1) * imageHeight / mapHeight)`.
  /// (With `floor` on both ends instead, a pixel could sit in one cell's rectangle while the
  /// daemon assigns it to the previous cell.) Consecutive cells therefore tile the image with
  /// no gap or overlap, and nearest upsampling draws its blocks on exactly these rectangles.
  ///
  /// `cells` is clipped to the map first; an empty result is `(0, 0, 0, 0)`. When the image
  /// has fewer pixels than the map has cells, some cells cover no pixel.
  public static func pixelBounds(
    of cells: CellRect, mapHeight: Int, mapWidth: Int, imageWidth: Int, imageHeight: Int
  ) -> (x0: Int, y0: Int, x1: Int, y1: Int) {
    guard mapHeight > 0, mapWidth > 0, imageWidth > 0, imageHeight > 0 else { return (0, 0, 0, 0) }
    let c = cells.clipped(height: mapHeight, width: mapWidth)
    // ceil(cell * pixels / cells) in integers: exact, no Float drift on large images.
    func edge(_ cell: Int, _ cells: Int, _ pixels: Int) -> Int { (cell * pixels + cells - 1) / cells }
    let bounds = (
      x0: edge(c.x0, mapWidth, imageWidth), y0: edge(c.y0, mapHeight, imageHeight),
      x1: edge(c.x1, mapWidth, imageWidth), y1: edge(c.y1, mapHeight, imageHeight)
    )
    return bounds.x1 > bounds.x0 && bounds.y1 > bounds.y0 ? bounds : (0, 0, 0, 0)
  }

  /// The outline's width in pixels: 2, or 1 when the image's shorter side is under 64 pixels
  /// (there a 2-pixel frame would hide most of a small cell).
  public static func outlineWidth(imageWidth: Int, imageHeight: Int) -> Int {
    min(imageWidth, imageHeight) < 64 ? 1 : 2
  }

  // MARK: - Internals

  /// Upsamples normalised values. Nearest uses the daemon's pixel-to-cell rule rather than
  /// ``Resampler/resizeMap(_:width:height:toWidth:toHeight:mode:)``'s Pillow NEAREST, whose
  /// pixel-centre sampling can shift block edges by one pixel against the outline and
  /// against the cell a click on that pixel selects.
  static func upsample(
    _ map: [Float], height: Int, width: Int, toWidth: Int, toHeight: Int, mode: MapResize
  ) -> [Float] {
    switch mode {
    case .bilinear:
      return Resampler.resizeMap(
        map, width: width, height: height, toWidth: toWidth, toHeight: toHeight, mode: .bilinear)
    case .nearest:
      let columns = (0..<toWidth).map { $0 * width / toWidth }
      return [Float](unsafeUninitializedCapacity: toWidth * toHeight) { out, initialized in
        map.withUnsafeBufferPointer { src in
          columns.withUnsafeBufferPointer { columns in
            for y in 0..<toHeight {
              let row = src.baseAddress! + (y * height / toHeight) * width
              let o = out.baseAddress! + y * toWidth
              for x in 0..<toWidth { o[x] = row[columns[x]] }
            }
          }
        }
        initialized = toWidth * toHeight
      }
    }
  }

  /// Paints a frame `width` pixels thick just inside `bounds` (a tiny rectangle is filled).
  static func drawOutline(
    _ bounds: (x0: Int, y0: Int, x1: Int, y1: Int), width: Int,
    color: (red: UInt8, green: UInt8, blue: UInt8) = outlineColor, into image: inout RGBImage
  ) {
    guard bounds.x1 > bounds.x0, bounds.y1 > bounds.y0 else { return }
    let stride = image.width
    image.pixels.withUnsafeMutableBufferPointer { pixels in
      func paint(_ y: Int, _ xs: Range<Int>) {
        for x in xs {
          let i = (y * stride + x) * 3
          pixels[i] = color.red
          pixels[i + 1] = color.green
          pixels[i + 2] = color.blue
        }
      }
      for y in bounds.y0..<bounds.y1 {
        if y < bounds.y0 + width || y >= bounds.y1 - width {
          paint(y, bounds.x0..<bounds.x1)
        } else {
          paint(y, bounds.x0..<min(bounds.x0 + width, bounds.x1))
          paint(y, max(bounds.x1 - width, bounds.x0)..<bounds.x1)
        }
      }
    }
  }
}
