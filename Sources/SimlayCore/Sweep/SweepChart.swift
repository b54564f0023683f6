import SimlayImaging

/// The line chart of sweeps: the similarity at each query's tracked cell against the parameter, one line
/// per query (and per image, when the CLI draws several sweeps in one figure). Shared by simlayd's
/// `chart_png` and `simlay sweep --chart` over several images, so both read alike.
public enum SweepChart {
  /// One line: its legend's text, and a value per parameter (NaN where the tracked cell left the grid:
  /// the line breaks there).
  public struct Curve: Sendable {
    /// The legend's text.
    public var name: String
    /// The parameters (angles or scales), in sweep order.
    public var params: [Double]
    /// One value per parameter.
    public var values: [Float]

    /// A curve.
    public init(name: String, params: [Double], values: [Float]) {
      (self.name, self.params, self.values) = (name, params, values)
    }
  }

  /// The chart: `rotate` labels the x axis in degrees on multiples of 15, else as scales.
  public static func render(title: String, rotate: Bool, curves: [Curve]) -> RGBImage {
    let series = curves.enumerated().map { i, c in
      LineChart.Series(
        name: c.name, color: LineChart.palette[i % LineChart.palette.count],
        points: zip(c.params, c.values).map { p, v in (x: p, y: v.isFinite ? Double(v) : nil) })
    }
    var xStep: Double?
    let params = curves.flatMap(\.params)
    if rotate, let lo = params.min(), let hi = params.max() {
      // Angles read best on multiples of 15 degrees: the smallest such step giving at most 12 ticks.
      xStep = [15.0, 30, 45, 90, 180, 360, 720].first { (hi - lo) / $0 <= 12 }
    }
    return LineChart(
      title: title, xLabel: rotate ? "angle (degrees)" : "scale", yLabel: "similarity", series: series, xStep: xStep
    ).render()
  }
}
