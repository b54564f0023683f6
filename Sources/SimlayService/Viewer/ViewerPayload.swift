import Foundation

/// The data block embedded in the page (`<script type="application/json" id="simlay-data">`), read by the
/// page's script. Version 1:
/// - `images[i]`: name, original `width`/`height`, `displayWidth`/`displayHeight` and `src`, a PNG data URL
///   at the display size;
/// - `layers[l]`: grid `height` x `width`, `cells` M = N*H*W, the quantiser's `low`/`high` (code q is
///   `low + q*(high-low)/255`), and `data`: base64 of the upper triangle's M(M+1)/2 codes (see
///   `ViewerTriangle`), zlib-compressed when `encoding` is "deflate" (`length` = bytes after inflating);
/// - `colormapTable`: 256 RGB bytes (matplotlib's bins) for viridis and diverging; absent for the mask;
/// - `nmf` (optional): groups and strengths (strength * 255, rounded) per position of the NMF layer,
///   image-major, and the legend's palette;
/// - `pca` (optional): the Pca RPC's fit at `layer` (grid `height` x `width`, `channels`), its `components`
///   and their `explainedVariance` (fractions of the total variance), and `colors`: base64 of the RPC's
///   N*H*W*3 RGB bytes of the first three components (image-major, then y, then x; background black when
///   `foregroundThreshold` is set).
struct ViewerPayload: Encodable {
  var version = 1
  var title: String
  var model: String
  var metric: String
  var colormap: String
  var upsample: String
  var opacity: Float
  var imageSize: Int
  var colormapTable: [UInt8]?
  var images: [Image]
  var layers: [Layer]
  var nmf: NMF?
  var pca: PCA?

  /// One column of the page.
  struct Image: Encodable {
    var name: String
    var width: Int
    var height: Int
    var displayWidth: Int
    var displayHeight: Int
    var src: String
  }

  /// One row of the page.
  struct Layer: Encodable {
    var name: String
    var height: Int
    var width: Int
    var channels: Int
    var cells: Int
    var low: Float
    var high: Float
    var encoding: String
    var length: Int
    var data: String
  }

  /// The legend's factorisation.
  struct NMF: Encodable {
    var layer: String
    var k: Int
    var height: Int
    var width: Int
    var relativeError: Double
    var palette: [String]
    var groups: [Int32]
    var strength: [UInt8]
  }

  /// The PCA mode's data.
  struct PCA: Encodable {
    var layer: String
    var height: Int
    var width: Int
    var channels: Int
    var components: Int
    var explainedVariance: [Double]
    var foregroundThreshold: Float?
    var colors: String
  }

  /// The JSON text, safe inside a `<script>` element: every `<` is escaped (as `\u003c`) so no string
  /// can close the element or open a comment, whatever titles or image names hold.
  func scriptSafeJSON() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data: Data
    do { data = try encoder.encode(self) } catch {
      throw ServiceError(.internalError, "cannot encode the viewer's data: \(error)")
    }
    return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
  }

  /// Tableau's 20 qualitative colours: distinct enough for a legend of up to 20 groups (more cycle).
  static let palette = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  ]
}
