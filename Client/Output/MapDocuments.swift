import Foundation
import SimlayClient
import SimlayProto

/// The maps of a `MapStack` for JSON: nested lists `[N][H][W]`, non-finite values as `null`.
struct MapsJSON: Encodable {
  var stack: MapStack

  func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(stack.nested.map { $0.map { $0.map(JSONFloat.init) } })
  }
}

/// The `--json` document of `simlay similarity`: the request's essentials, the answer's query cells and the maps.
struct SimilarityDocument: Encodable {
  struct Query: Encodable {
    var image: Int
    var text: String
    var px: Double?
    var py: Double?
  }

  var model: String
  var layer: String
  var metric: String
  var images: [String]
  var imageNames: [String]
  var imageIds: [String]
  var imageSizes: [[Int]]
  var query: Query
  var queryCells: [String: Int32]
  var shape: [Int]
  var maps: MapsJSON
  /// With --top: the matches in decreasing value.
  var top: [MatchJSON]? = nil
  var warnings: [String]? = nil

  init(
    model: String, layer: String, metric: String, images: [String], infos: [Simlay_V1_ImageInfo], query: Query,
    response: Simlay_V1_SimilarityResponse, maps: MapStack
  ) {
    (self.model, self.metric, self.images, self.query) = (model, metric, images, query)
    self.layer = response.layer.isEmpty ? layer : response.layer
    imageNames = infos.map(\.name)
    imageIds = infos.map(\.id)
    imageSizes = infos.map { [Int($0.width), Int($0.height)] }
    let cells = response.queryCells
    queryCells = ["y0": cells.y0, "x0": cells.x0, "y1": cells.y1, "x1": cells.x1]
    shape = maps.shape
    self.maps = MapsJSON(stack: maps)
  }

  enum CodingKeys: String, CodingKey {
    case model, layer, metric, images, query, shape, maps, top, warnings
    case imageNames = "image_names"
    case imageIds = "image_ids"
    case imageSizes = "image_sizes"
    case queryCells = "query_cells"
  }
}

/// The `--json` document of `simlay sync`: the point, the images and, per layer, its cell and maps.
struct SyncDocument: Encodable {
  struct Point: Encodable {
    var image: Int
    var px: Double
    var py: Double
  }

  struct Layer: Encodable {
    var layer: String
    var cell: [String: Int32]
    var shape: [Int]
    var maps: MapsJSON
  }

  var model: String
  var metric: String
  var images: [String]
  var imageNames: [String]
  var imageIds: [String]
  var imageSizes: [[Int]]
  var point: Point
  var layers: [Layer]

  init(
    model: String, metric: String, images: [String], infos: [Simlay_V1_ImageInfo], point: Point,
    response: Simlay_V1_LayerSyncResponse, maps: [MapStack]
  ) {
    (self.model, self.metric, self.images, self.point) = (model, metric, images, point)
    imageNames = infos.map(\.name)
    imageIds = infos.map(\.id)
    imageSizes = infos.map { [Int($0.width), Int($0.height)] }
    layers = zip(response.layers, maps).map { entry, stack in
      Layer(
        layer: entry.layer, cell: ["y": entry.cell.y, "x": entry.cell.x], shape: stack.shape,
        maps: MapsJSON(stack: stack))
    }
  }

  enum CodingKeys: String, CodingKey {
    case model, metric, images, point, layers
    case imageNames = "image_names"
    case imageIds = "image_ids"
    case imageSizes = "image_sizes"
  }
}
