/// A named activation of the graph, as `simlay layers` lists it.
public struct LayerInfo: Sendable, Equatable {
  /// The tensor's name.
  public let name: String
  /// Its ONNX shape (batch first).
  public let shape: [Int]
  /// Input height and width the shape was inferred for.
  public let inputSize: (height: Int, width: Int)
  /// How the tensor lies on a grid of cells (see `LayerGrid.infer`), or nil when it is not a grid
  /// (logits, pooled vectors, attention matrices). Only grids can be named in similarity queries.
  public let grid: LayerGrid?

  /// A layer of `shape` for an input of `inputSize`; its grid follows from both.
  public init(name: String, shape: [Int], inputSize: (height: Int, width: Int)) {
    self.name = name
    self.shape = shape
    self.inputSize = inputSize
    self.grid = LayerGrid.infer(shape: shape, inputHeight: inputSize.height, inputWidth: inputSize.width)
  }

  /// Input pixels per cell along height and width, for grids.
  public var stride: (y: Double, x: Double)? {
    guard let grid, grid.height > 0, grid.width > 0 else { return nil }
    return (Double(inputSize.height) / Double(grid.height), Double(inputSize.width) / Double(grid.width))
  }

  public static func == (a: LayerInfo, b: LayerInfo) -> Bool {
    a.name == b.name && a.shape == b.shape && a.inputSize == b.inputSize
  }
}

/// A layer that is a grid of cells: what similarity queries, layer sync, NMF, sweeps and the viewer
/// name. Unlike `LayerInfo`, its grid is not optional.
public struct GridLayer: Sendable, Equatable {
  /// The tensor's name.
  public let name: String
  /// How the tensor lies on its cells.
  public let grid: LayerGrid
  /// Input height and width the grid was inferred for.
  public let inputSize: (height: Int, width: Int)

  /// Channels per cell.
  public var channels: Int { grid.channels }
  /// Grid height in cells.
  public var height: Int { grid.height }
  /// Grid width in cells.
  public var width: Int { grid.width }
  /// Input pixels per cell along height and width.
  public var stride: (y: Double, x: Double) {
    (Double(inputSize.height) / Double(grid.height), Double(inputSize.width) / Double(grid.width))
  }

  public static func == (a: GridLayer, b: GridLayer) -> Bool {
    a.name == b.name && a.grid == b.grid && a.inputSize == b.inputSize
  }
}

extension LayerInfo {
  /// This layer as a grid layer, or nil when it is not a grid.
  public var gridLayer: GridLayer? {
    grid.map { GridLayer(name: name, grid: $0, inputSize: inputSize) }
  }
}
