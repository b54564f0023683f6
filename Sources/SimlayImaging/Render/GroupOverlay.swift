/// Draws NMF groups over images: each cell tinted with its group's colour, opacity by strength, and a
/// legend naming the groups.
public enum GroupOverlay {
  /// A fixed qualitative palette (Tableau 10): distinct hues, readable over photos, the same colour for
  /// the same group index everywhere (PNG, HTML viewer).
  public static let palette: [(red: UInt8, green: UInt8, blue: UInt8)] = [
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
  ]

  /// The colour of group `g` (the palette repeats past 10 groups).
  public static func color(of g: Int) -> (red: UInt8, green: UInt8, blue: UInt8) { palette[g % palette.count] }

  /// Tints `image` (already at the output size): cell (y, x) of the `gridHeight` x `gridWidth` grid gets its
  /// group's colour blended at `opacity * strength`. With `highlight`, only that group's cells are tinted
  /// and every other cell is darkened, so the group stands out across images.
  public static func render(
    image: RGBImage, groups: [Int32], strength: [Float], gridHeight: Int, gridWidth: Int, opacity: Float,
    highlight: Int? = nil
  ) -> RGBImage {
    guard image.isWellFormed, gridHeight > 0, gridWidth > 0, groups.count == gridHeight * gridWidth,
      strength.count == groups.count
    else { return image }
    var out = image
    for y in 0..<gridHeight {
      for x in 0..<gridWidth {
        let i = y * gridWidth + x
        let g = Int(groups[i])
        let b = OverlayRenderer.pixelBounds(
          of: CellRect(y0: y, x0: x, y1: y + 1, x1: x + 1), mapHeight: gridHeight, mapWidth: gridWidth,
          imageWidth: image.width, imageHeight: image.height)
        let (alpha, tint): (Float, (red: UInt8, green: UInt8, blue: UInt8))
        if let highlight, highlight != g {
          (alpha, tint) = (0.75, (0, 0, 0))
        } else {
          (alpha, tint) = (opacity * min(max(strength[i], 0), 1), color(of: g))
        }
        guard alpha > 0 else { continue }
        for py in b.y0..<b.y1 {
          for px in b.x0..<b.x1 {
            let o = (py * image.width + px) * 3
            out.pixels[o] = mix(out.pixels[o], tint.red, alpha)
            out.pixels[o + 1] = mix(out.pixels[o + 1], tint.green, alpha)
            out.pixels[o + 2] = mix(out.pixels[o + 2], tint.blue, alpha)
          }
        }
      }
    }
    return out
  }

  /// A legend strip `width` pixels wide: one swatch and label per entry, wrapped onto as many lines as needed.
  public static func legend(_ entries: [(group: Int, label: String)], width: Int, scale: Int = 1) -> RGBImage {
    let line = (BitmapFont.glyphHeight + 6) * scale
    let swatch = BitmapFont.glyphHeight * scale
    var placed: [(x: Int, y: Int, entry: (group: Int, label: String))] = []
    var (x, y) = (4, 4)
    for entry in entries {
      let w = swatch + 4 + BitmapFont.size(of: entry.label, scale: scale).width + 12
      if x > 4, x + w > width { (x, y) = (4, y + line) }
      placed.append((x, y, entry))
      x += w
    }
    var image = RGBImage(width: max(width, 1), height: y + line + 4, filledWith: (255, 255, 255))
    for p in placed {
      let c = color(of: p.entry.group)
      for sy in p.y..<min(p.y + swatch, image.height) {
        for sx in p.x..<min(p.x + swatch, image.width) {
          let o = (sy * image.width + sx) * 3
          (image.pixels[o], image.pixels[o + 1], image.pixels[o + 2]) = (c.red, c.green, c.blue)
        }
      }
      BitmapFont.draw(p.entry.label, into: &image, x: p.x + swatch + 4, y: p.y, color: (32, 32, 32), scale: scale)
    }
    return image
  }

  /// `top` above `bottom`, left-aligned on white.
  public static func stack(_ top: RGBImage, _ bottom: RGBImage) -> RGBImage {
    let width = max(top.width, bottom.width)
    var out = RGBImage(width: width, height: top.height + bottom.height, filledWith: (255, 255, 255))
    for (image, y0) in [(top, 0), (bottom, top.height)] {
      for y in 0..<image.height {
        let src = y * image.width * 3
        let dst = ((y0 + y) * width) * 3
        out.pixels.replaceSubrange(dst..<(dst + image.width * 3), with: image.pixels[src..<(src + image.width * 3)])
      }
    }
    return out
  }

  private static func mix(_ a: UInt8, _ b: UInt8, _ alpha: Float) -> UInt8 {
    UInt8(max(0, min(255, (Float(a) * (1 - alpha) + Float(b) * alpha).rounded())))
  }
}
