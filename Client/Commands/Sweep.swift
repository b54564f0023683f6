import ArgumentParser

/// `simlay sweep`: how a patch's representation survives rotating or scaling the image (via simlayd).
struct Sweep: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep",
    abstract: "Rotation and scale sweeps: similarity of tracked patches under transforms of images.",
    discussion: """
      Each angle or scale transforms IMAGE (its model input, or with --transform-space photo the original \
      photo before the squash; one forward pass each, cached by the daemon); each --query's vector (a cell, \
      a region's mean, or the cell under a pixel), taken from the untransformed image, is compared with every \
      cell of each transformed image, and its exact point (the pixel, or the cell's or region's centre) is \
      moved by the same transform to the cell it lands in (--track-radius R: also the best cell within R \
      of it). Several IMAGEs: one sweep each, with the --query naming it, drawn in one chart. Outputs: a \
      CSV, a line chart, an overlay strip, JSON, or a table on stdout. Limits (the daemon's, see `simlay \
      stats`): --max-sweep-steps angles or scales (64) and --max-sweep-queries queries (64) per sweep.
      """,
    subcommands: [SweepRotate.self, SweepScale.self])
}

/// `simlay sweep rotate`.
struct SweepRotate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rotate",
    abstract: "Rotate IMAGE by each angle (degrees, counterclockwise as displayed, about the centre).",
    discussion: """
      Multiples of 90 degrees move whole pixels (exact permutations of a square input); other angles are \
      bilinear, and pixels from outside the image take --fill. Example: \
      simlay --server unix:/tmp/s.sock sweep rotate --layer blocks.10 --angles 0:360:30 --query 0:5,6 --query 0@228,148 --chart c.png cat.png
      """)

  @OptionGroup var connection: ConnectionOptions

  // Unconditional, so that negative angles (-90,0,90) are not taken for flags.
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Angles in degrees: A1,A2,... or START:STOP:STEP (negative angles turn clockwise).",
      discussion: "START:STOP:STEP runs START, START+STEP, ... and includes STOP when it lands on the step grid "
        + "(0:360:90 gives 0,90,180,270,360).",
      valueName: "angles"))
  var angles: String

  @OptionGroup var sweep: SweepOptions

  func validate() throws { _ = try SweepParams.parse(angles, flag: "--angles", positive: false) }

  func run() async throws {
    try await reportingErrors {
      try await sweep.run(
        connection: connection, transform: .rotate,
        params: try SweepParams.parse(angles, flag: "--angles", positive: false))
    }
  }
}

/// `simlay sweep scale`.
struct SweepScale: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scale",
    abstract: "Crop-and-resize IMAGE by each scale: s > 1 zooms in (a centred box of side 1/s), s < 1 zooms out.",
    discussion: """
      Zooming out, the box extends past the image and the outside takes --fill (TensorFlow crop_and_resize \
      semantics, boxes in normalised coordinates, bilinear). Example: \
      simlay sweep scale --layer blocks.10 --scales 0.5,0.75,1,1.5,2 --query 0:5,6 --csv s.csv cat.png
      """)

  @OptionGroup var connection: ConnectionOptions

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Scale factors > 0: S1,S2,... or START:STOP:STEP (STOP included when on the step grid).", valueName: "scales"))
  var scales: String

  @OptionGroup var sweep: SweepOptions

  func validate() throws { _ = try SweepParams.parse(scales, flag: "--scales", positive: true) }

  func run() async throws {
    try await reportingErrors {
      try await sweep.run(
        connection: connection, transform: .scale,
        params: try SweepParams.parse(scales, flag: "--scales", positive: true))
    }
  }
}

/// Parsing of `--angles` / `--scales`.
enum SweepParams {
  /// Most values a range may expand to (the daemon's own limit, --max-sweep-steps, is usually lower).
  static let maxCount = 10_000

  /// `A1,A2,...` or `START:STOP:STEP` as numbers; `positive` refuses values <= 0 (scales).
  static func parse(_ text: String, flag: String, positive: Bool) throws -> [Double] {
    let values: [Double]
    if text.contains(":") {
      let parts = text.split(separator: ":", omittingEmptySubsequences: false).map {
        Double($0.trimmingCharacters(in: .whitespaces))
      }
      guard parts.count == 3, let start = parts[0], let stop = parts[1], let step = parts[2],
        start.isFinite, stop.isFinite, step.isFinite
      else { throw ValidationError("\(flag): expected START:STOP:STEP (three numbers), got '\(text)'") }
      guard step != 0, (stop - start) / step >= 0 else {
        throw ValidationError("\(flag): STEP \(step) does not lead from \(start) to \(stop)")
      }
      // A small tolerance so that e.g. 0:1:0.1 includes 1 despite 0.1's rounding.
      let n = ((stop - start) / step + 1e-9).rounded(.down)
      guard n < Double(maxCount) else { throw ValidationError("\(flag): '\(text)' gives more than \(maxCount) values") }
      // Rounded to 10 decimals so that 0:1:0.1 gives 0.3, not 0.30000000000000004.
      values = (0...Int(n)).map { ((start + Double($0) * step) * 1e10).rounded() / 1e10 }
    } else {
      let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      values = try parts.map { part in
        guard let v = Double(part), v.isFinite else {
          throw ValidationError("\(flag): '\(part)' is not a number (expected V1,V2,... or START:STOP:STEP)")
        }
        return v
      }
    }
    if positive, let bad = values.first(where: { $0 <= 0 }) {
      throw ValidationError("\(flag): \(bad) must be > 0 (1 = unchanged, 2 = zoom in, 0.5 = zoom out)")
    }
    return values
  }
}
