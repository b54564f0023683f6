import ArgumentParser
import SimlayEngine

/// `simlay layers`: every named tensor with its shape and stride.
struct Layers: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List every named tensor of a model with its shape (C, H, W) and stride relative to the input.")

  @OptionGroup var modelOptions: ModelOptions

  func run() async throws {
    try await reportingErrors {
      let model = try modelOptions.load()
      let pipeline = try modelOptions.pipeline(for: model)
      let p = pipeline.preprocessing
      let layers = try model.layers(inputShape: [1, 3, p.height, p.width])
      print("# input \(p.height)x\(p.width); name, C H W (or shape), stride in input pixels")
      let width = layers.map(\.name.count).max() ?? 10
      for layer in layers {
        let name = layer.name.padding(toLength: width, withPad: " ", startingAt: 0)
        if let chw = layer.chw, let s = layer.stride {
          let stride = s.y == s.x ? format(s.y) : "\(format(s.y))x\(format(s.x))"
          print("\(name)  C=\(chw.c) H=\(chw.h) W=\(chw.w)  stride \(stride)")
        } else {
          print("\(name)  shape \(layer.shape.dropFirst().map(String.init).joined(separator: "x"))")
        }
      }
    }
  }

  private func format(_ v: Double) -> String {
    v == v.rounded() ? String(Int(v)) : String(format: "%.2f", v)
  }
}
