import SimlayCore
import SimlayImaging
import SimlayProto

/// A request's `RenderOptions`, checked once, with the documented defaults filled in: the one place the
/// daemon turns wire style fields into rendering parameters (overlays, NMF groups, sweep strips and the
/// viewer all decode through it, so every request accepts the same values and names the same limits).
struct RenderStyle: Sendable {
  /// The smallest tile side accepted: below it titles and cell outlines no longer fit.
  static let minTileSize = 16
  /// The tile side when `tile_size` is 0.
  static let defaultTileSize = 256
  /// The overlay opacity when `opacity` is 0.
  static let defaultOpacity: Float = 0.6

  var colormap: Colormap
  var upsample: MapResize
  /// In (0, 1].
  var opacity: Float
  /// Longest side of each tile in pixels, in `minTileSize...maxTileSize`.
  var tileSize: Int
  /// The caller's value range, or nil for the metric's natural one (see `valueRange(of:metric:)`).
  var explicitRange: ClosedRange<Float>?
  var titles: Bool

  /// The defaults (what an empty `RenderOptions` decodes to).
  static let defaults = RenderStyle(
    colormap: .mask, upsample: .nearest, opacity: defaultOpacity,
    tileSize: defaultTileSize, explicitRange: nil, titles: true)

  init(
    colormap: Colormap, upsample: MapResize, opacity: Float, tileSize: Int, explicitRange: ClosedRange<Float>?,
    titles: Bool
  ) {
    (self.colormap, self.upsample, self.opacity, self.tileSize) = (colormap, upsample, opacity, tileSize)
    (self.explicitRange, self.titles) = (explicitRange, titles)
  }

  /// Decodes `options` (the request's field `field`, named in errors), or INVALID_ARGUMENT naming the bad
  /// field and its accepted range, e.g. "render.tile_size 2000 outside 16...1024".
  init(_ options: Simlay_V1_RenderOptions, maxTileSize: Int, field: String = "render") throws {
    switch options.colormap {
    case .mask: colormap = .mask
    case .viridis: colormap = .viridis
    case .diverging: colormap = .diverging
    case .UNRECOGNIZED(let v):
      throw ServiceError(.invalidArgument, "\(field).colormap \(v) is unknown (use MASK, VIRIDIS or DIVERGING)")
    }
    switch options.upsample {
    case .nearest: upsample = .nearest
    case .bilinear: upsample = .bilinear
    case .UNRECOGNIZED(let v):
      throw ServiceError(.invalidArgument, "\(field).upsample \(v) is unknown (use NEAREST or BILINEAR)")
    }
    opacity = options.opacity == 0 ? Self.defaultOpacity : options.opacity
    guard opacity > 0, opacity <= 1 else {
      throw ServiceError(
        .invalidArgument, "\(field).opacity \(options.opacity) outside (0, 1] (0 = \(Self.defaultOpacity))")
    }
    tileSize = options.tileSize == 0 ? Self.defaultTileSize : Int(options.tileSize)
    guard (Self.minTileSize...maxTileSize).contains(tileSize) else {
      throw ServiceError(
        .invalidArgument,
        "\(field).tile_size \(options.tileSize) outside \(Self.minTileSize)...\(maxTileSize) (0 = \(Self.defaultTileSize))"
      )
    }
    let (lo, hi) = (options.valueMin, options.valueMax)
    if lo != 0 || hi != 0 {
      guard lo.isFinite, hi.isFinite, lo < hi else {
        throw ServiceError(
          .invalidArgument,
          "\(field).value_min \(lo) must be below \(field).value_max \(hi), both finite (both 0 = the metric's range)")
      }
      explicitRange = lo...hi
    } else {
      explicitRange = nil
    }
    titles = !options.noTitles
  }

  /// The values mapped to the colormap's ends: the caller's range, else the metric's natural one (cosine:
  /// [0, 1], or [-1, 1] diverging), else the finite min..max of `values` (symmetric about 0 diverging).
  func valueRange(of values: [Float], metric: SimilarityMetric) -> ClosedRange<Float> {
    if let explicitRange { return explicitRange }
    if metric == .cosine { return colormap == .diverging ? -1...1 : 0...1 }
    var lo = Float.infinity
    var hi = -Float.infinity
    for v in values where v.isFinite { (lo, hi) = (min(lo, v), max(hi, v)) }
    guard lo <= hi else { return 0...1 }
    if colormap == .diverging {
      let m = max(abs(lo), abs(hi))
      (lo, hi) = (-m, m)
    }
    return lo < hi ? lo...hi : lo...(lo + 1)
  }

  /// The imaging library's style for maps holding `values` under `metric`.
  func overlayStyle(for values: [Float], metric: SimilarityMetric) -> OverlayStyle {
    OverlayStyle(
      colormap: colormap, upsample: upsample, opacity: opacity, valueRange: valueRange(of: values, metric: metric))
  }
}

extension DaemonState {
  /// `options` decoded against this daemon's tile limit (`ServiceConfiguration.maxTileSize`, 1024).
  func renderStyle(_ options: Simlay_V1_RenderOptions, field: String = "render") throws -> RenderStyle {
    try RenderStyle(options, maxTileSize: configuration.maxTileSize, field: field)
  }
}
