import ArgumentParser
import SimlayProto

/// How rendered PNGs are drawn, sent as the request's `render` options: shared by every command that renders.
/// Ranges are the daemon's to check (its INVALID_ARGUMENT names the field and the range, e.g.
/// "render.tile_size 2000 outside 16...1024"): the CLI only parses, so the two can never disagree.
struct RenderFlags: ParsableArguments {
  @Option(
    help: "Overlay colours: mask (darken dissimilar cells, as in the article), viridis, or diverging (signed metrics).")
  var colormap: ColormapChoice = .mask

  @Option(help: "How cells are scaled to pixels: nearest (blocky) or bilinear.")
  var upsample: UpsampleChoice = .nearest

  @Option(help: "Overlay opacity in (0, 1] (default 0.6; checked by the daemon).")
  var opacity: Float?

  @Option(
    name: .customLong("tile-size"),
    help: "Longest side of each tile in pixels: 16 up to the daemon's limit, 1024 (default 256).")
  var tileSize: Int?

  @Option(
    name: .customLong("value-range"), parsing: .unconditional,
    help: "MIN,MAX mapped onto the colormap, e.g. -1,1 (default: the metric's natural range).")
  var valueRange: String?

  @Flag(name: .customLong("no-titles"), help: "Omit the titles above tiles.")
  var noTitles = false

  func validate() throws {
    _ = try range()
  }

  /// `--value-range` parsed as two numbers (whether MIN < MAX is the daemon's to say).
  private func range() throws -> (Float, Float)? {
    guard let valueRange else { return nil }
    let v = valueRange.split(separator: ",", omittingEmptySubsequences: false).map {
      Float($0.trimmingCharacters(in: .whitespaces))
    }
    guard v.count == 2, let lo = v[0], let hi = v[1] else {
      throw ValidationError("--value-range needs two numbers MIN,MAX, got '\(valueRange)'")
    }
    return (lo, hi)
  }

  /// The wire options.
  func proto() throws -> Simlay_V1_RenderOptions {
    var options = Simlay_V1_RenderOptions()
    options.colormap = colormap.proto
    options.upsample = upsample.proto
    options.opacity = opacity ?? 0
    // Clamped into Int32 so an absurd value reaches the daemon's range message rather than trapping here.
    options.tileSize = Int32(clamping: tileSize ?? 0)
    if let (lo, hi) = try range() { (options.valueMin, options.valueMax) = (lo, hi) }
    options.noTitles = noTitles
    return options
  }
}

/// `--colormap`.
enum ColormapChoice: String, CaseIterable, ExpressibleByArgument {
  case mask, viridis, diverging

  var proto: Simlay_V1_Colormap {
    switch self {
    case .mask: return .mask
    case .viridis: return .viridis
    case .diverging: return .diverging
    }
  }
}

/// `--upsample`.
enum UpsampleChoice: String, CaseIterable, ExpressibleByArgument {
  case nearest, bilinear

  var proto: Simlay_V1_Upsample {
    switch self {
    case .nearest: return .nearest
    case .bilinear: return .bilinear
    }
  }
}
