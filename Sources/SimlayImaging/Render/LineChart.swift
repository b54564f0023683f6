import Foundation

/// A line chart drawn with ``BitmapFont``: axes with numbered ticks, axis labels (the y label turned on its
/// side), light grid lines, one coloured line per series with square markers, and a legend right of the plot.
/// Points with no value (nil or non-finite y) are omitted and break their line. Used for sweep charts
/// (similarity of tracked patches vs angle or scale).
public struct LineChart: Sendable {
  /// An RGB colour.
  public typealias Color = (red: UInt8, green: UInt8, blue: UInt8)

  /// One line.
  public struct Series: Sendable {
    /// The legend's text.
    public var name: String
    /// Line and marker colour.
    public var color: Color
    /// The points in drawing order; a nil or non-finite `y` is a gap.
    public var points: [(x: Double, y: Double?)]

    /// A series.
    public init(name: String, color: Color, points: [(x: Double, y: Double?)]) {
      (self.name, self.color, self.points) = (name, color, points)
    }
  }

  /// Distinct colours for series, in order (a qualitative palette; yellow first to match query outlines).
  public static let palette: [Color] = [
    (230, 171, 2), (31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (140, 86, 75), (227, 119, 194),
    (23, 190, 207),
  ]

  /// Text above the plot (may be empty).
  public var title: String
  /// The x axis's label.
  public var xLabel: String
  /// The y axis's label.
  public var yLabel: String
  /// The lines.
  public var series: [Series]
  /// Image size in pixels.
  public var width: Int
  /// Image height in pixels.
  public var height: Int
  /// The x tick spacing; nil picks a 1-2-5 step.
  public var xStep: Double?
  /// Integer scale of the text.
  public var textScale: Int = 2

  /// A chart; set the series and size before ``render()``.
  public init(
    title: String = "", xLabel: String, yLabel: String, series: [Series], width: Int = 900, height: Int = 520,
    xStep: Double? = nil
  ) {
    (self.title, self.xLabel, self.yLabel, self.series) = (title, xLabel, yLabel, series)
    (self.width, self.height, self.xStep) = (width, height, xStep)
  }

  /// Draws the chart on white.
  public func render() -> RGBImage {
    var image = RGBImage(width: width, height: height, filledWith: (255, 255, 255))
    let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
    let ys = series.flatMap { $0.points.compactMap(\.y) }.filter(\.isFinite)
    let xTicks = ChartAxis.ticks(lo: xs.min() ?? 0, hi: xs.max() ?? 1, step: xStep)
    let yTicks = ChartAxis.ticks(lo: ys.min() ?? 0, hi: ys.max() ?? 1, step: nil)
    let (s, gap) = (max(textScale, 1), 8)
    let textHeight = BitmapFont.glyphHeight * s
    let yTickWidth = yTicks.labels.map { BitmapFont.size(of: $0, scale: s).width }.max() ?? 0
    let legendWidth = (series.map { BitmapFont.size(of: $0.name, scale: s).width }.max() ?? 0) + 30
    let plot = (
      x0: gap + textHeight + gap + yTickWidth + 10, y0: gap + (title.isEmpty ? 0 : textHeight + gap) + textHeight / 2,
      x1: width - gap - (series.isEmpty ? 0 : legendWidth + 2 * gap),
      y1: height - gap - textHeight - gap - textHeight - 10
    )
    guard plot.x1 - plot.x0 > 10, plot.y1 - plot.y0 > 10 else { return image }
    let painter = ChartPainter()
    func px(_ x: Double) -> Int {
      plot.x0 + Int(((x - xTicks.lo) / (xTicks.hi - xTicks.lo) * Double(plot.x1 - plot.x0)).rounded())
    }
    func py(_ y: Double) -> Int {
      plot.y1 - Int(((y - yTicks.lo) / (yTicks.hi - yTicks.lo) * Double(plot.y1 - plot.y0)).rounded())
    }
    let ink: Color = (32, 32, 32)

    for (v, label) in zip(yTicks.values, yTicks.labels) {
      let y = py(v)
      painter.line(&image, plot.x0, y, plot.x1, y, color: (225, 225, 225), thickness: 1)
      painter.line(&image, plot.x0 - 5, y, plot.x0, y, color: ink, thickness: 1)
      let w = BitmapFont.size(of: label, scale: s).width
      BitmapFont.draw(label, into: &image, x: plot.x0 - 8 - w, y: y - textHeight / 2, color: ink, scale: s)
    }
    for (v, label) in zip(xTicks.values, xTicks.labels) {
      let x = px(v)
      painter.line(&image, x, plot.y0, x, plot.y1, color: (235, 235, 235), thickness: 1)
      painter.line(&image, x, plot.y1, x, plot.y1 + 5, color: ink, thickness: 1)
      let w = BitmapFont.size(of: label, scale: s).width
      BitmapFont.draw(label, into: &image, x: x - w / 2, y: plot.y1 + 8, color: ink, scale: s)
    }
    painter.line(&image, plot.x0, plot.y0, plot.x0, plot.y1, color: ink, thickness: 2)
    painter.line(&image, plot.x0, plot.y1, plot.x1, plot.y1, color: ink, thickness: 2)
    let xLabelWidth = BitmapFont.size(of: xLabel, scale: s).width
    BitmapFont.draw(
      xLabel, into: &image, x: (plot.x0 + plot.x1 - xLabelWidth) / 2, y: height - gap - textHeight, color: ink, scale: s
    )
    painter.verticalText(yLabel, into: &image, x: gap, centreY: (plot.y0 + plot.y1) / 2, color: ink, scale: s)
    if !title.isEmpty {
      let w = BitmapFont.size(of: title, scale: s).width
      BitmapFont.draw(title, into: &image, x: max((width - w) / 2, 0), y: gap, color: ink, scale: s)
    }

    for (i, line) in series.enumerated() {
      var previous: (Int, Int)?
      for point in line.points {
        guard let y = point.y, y.isFinite, point.x.isFinite else {
          previous = nil
          continue
        }
        let p = (px(point.x), py(y))
        if let previous { painter.line(&image, previous.0, previous.1, p.0, p.1, color: line.color, thickness: 2) }
        painter.square(&image, centreX: p.0, centreY: p.1, radius: 3, color: line.color)
        previous = p
      }
      // Legend: a marker and the name, one row per series.
      let top = plot.y0 + i * (textHeight + 8)
      painter.line(
        &image, plot.x1 + 2 * gap, top + textHeight / 2, plot.x1 + 2 * gap + 18, top + textHeight / 2,
        color: line.color, thickness: 2)
      painter.square(
        &image, centreX: plot.x1 + 2 * gap + 9, centreY: top + textHeight / 2, radius: 3, color: line.color)
      BitmapFont.draw(line.name, into: &image, x: plot.x1 + 2 * gap + 26, y: top, color: ink, scale: s)
    }
    return image
  }
}
