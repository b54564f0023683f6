import ArgumentParser
import Foundation
import SimlayClient
import SimlayEngine
import SimlayProto

/// `simlay layers`: every named tensor with its shape and stride, of a model file (in-process) or of a model
/// held by simlayd.
struct Layers: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "List every activation of a model: grids with channels, cells, stride and layout; other tensors with their shape.",
    discussion: """
      Runs in-process when --model is an .onnx file (or omitted, without --server), or with --local; \
      otherwise --model names a model of the daemon (ListModels), "" meaning its default model.
      """)

  @OptionGroup var modelOptions: ModelOptions

  @OptionGroup var connection: ConnectionOptions

  @Flag(help: "Read the model file in-process even if it does not look like one.")
  var local = false

  /// Whether the listing comes from the daemon.
  var usesDaemon: Bool {
    if local { return false }
    guard let name = modelOptions.model else { return connection.server != nil }
    return !(name.hasSuffix(".onnx") || FileManager.default.fileExists(atPath: name))
  }

  func run() async throws {
    try await reportingErrors {
      if usesDaemon { try await listFromDaemon() } else { try listInProcess() }
    }
  }

  private func listInProcess() throws {
    let model = try modelOptions.load()
    let pipeline = try modelOptions.pipeline(for: model)
    let p = pipeline.preprocessing
    let layers = try model.layers(inputShape: [1, 3, p.height, p.width])
    print(Self.header(height: p.height, width: p.width))
    let width = layers.map(\.name.count).max() ?? 10
    for layer in layers {
      if let grid = layer.grid, let s = layer.stride {
        print(
          Self.line(
            layer.name, width: width, c: grid.channels, h: grid.height, w: grid.width, strideY: s.y, strideX: s.x,
            layout: grid.layoutName))
      } else {
        let name = layer.name.padding(toLength: width, withPad: " ", startingAt: 0)
        print("\(name)  shape \(layer.shape.dropFirst().map(String.init).joined(separator: "x"))")
      }
    }
  }

  private func listFromDaemon() async throws {
    let response = try await connection.withDaemon { try await $0.listModels() }
    let wanted = modelOptions.model ?? ""
    let name = wanted.isEmpty ? response.defaultModel : wanted
    guard let model = response.models.first(where: { $0.name == name }) else {
      let known = response.models.map(\.name).joined(separator: ", ")
      throw CLIError("NOT_FOUND: simlayd has no model '\(name)' (it has: \(known.isEmpty ? "none" : known))")
    }
    print(Self.header(height: Int(model.inputHeight), width: Int(model.inputWidth)))
    let width = model.layers.map(\.name.count).max() ?? 10
    for layer in model.layers {
      print(
        Self.line(
          layer.name, width: width, c: Int(layer.channels), h: Int(layer.height), w: Int(layer.width),
          strideY: layer.strideY, strideX: layer.strideX, layout: layer.layout))
    }
  }

  /// The listing's first line.
  static func header(height: Int, width: Int) -> String {
    "# input \(height)x\(width); name, C H W (or shape), stride in input pixels, layout"
  }

  /// One grid layer: `name  C=.. H=.. W=..  stride S  layout L` (or `stride SYxSX` when they differ);
  /// the layout is nchw, nhwc or tokens+P (P prefix tokens before the patch grid).
  static func line(
    _ name: String, width: Int, c: Int, h: Int, w: Int, strideY: Double, strideX: Double,
    layout: String
  ) -> String {
    let padded = name.padding(toLength: width, withPad: " ", startingAt: 0)
    let stride = strideY == strideX ? format(strideY) : "\(format(strideY))x\(format(strideX))"
    return "\(padded)  C=\(c) H=\(h) W=\(w)  stride \(stride)  layout \(layout.isEmpty ? "nchw" : layout)"
  }

  private static func format(_ v: Double) -> String {
    v == v.rounded() ? String(Int(v)) : String(format: "%.2f", v)
  }
}
