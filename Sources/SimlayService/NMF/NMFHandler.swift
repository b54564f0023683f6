import Foundation
import SimlayCore
import SimlayImaging
import SimlayProto

/// An NMF factorisation of one layer's activation vectors across images (rows image-major, then y, x).
struct NMFAnswer: Sendable {
  var layer: String
  var height: Int
  var width: Int
  /// Factored columns: C, or 2C with the split policy.
  var columns: Int
  var k: Int
  /// N*H*W group indices (argmax of each row of W).
  var groups: [Int32]
  /// N*H*W strengths in [0, 1]: the row's weight on its group over the largest weight on that group.
  var strength: [Float]
  /// [N*H*W, k] and [k, columns]; H's rows have unit L2 norm.
  var w: [Float]
  var h: [Float]
  var relativeError: Double
  var iterations: Int
  var seconds: Double
  /// The images, in row order.
  var images: [StoredImage]
}

extension DaemonState {
  /// Answers an Nmf request.
  func nmf(_ request: Simlay_V1_NmfRequest) async throws -> Simlay_V1_NmfResponse {
    let style = request.hasRender ? try renderStyle(request.render) : nil
    let answer = try await nmfAnswer(request)
    var response = Simlay_V1_NmfResponse(answer)
    if let style {
      let highlight = request.hasHighlightGroup ? Int(request.highlightGroup) : nil
      if let highlight, !(0..<answer.k).contains(highlight) {
        throw ServiceError(.outOfRange, "highlight_group \(highlight) is not a group: k = \(answer.k) (groups 0..<\(answer.k))")
      }
      let png = try await executor.run {
        try PNGEncoder.encode(self.renderGroups(answer, style: style, highlight: highlight))
      }
      response.png = Data(png)
    }
    return response
  }

  /// Runs (or finds a recent) factorisation for `request`; errors are ServiceErrors naming what was wrong.
  func nmfAnswer(_ request: Simlay_V1_NmfRequest) async throws -> NMFAnswer {
    let model = try models.get(request.model)
    guard !request.layer.isEmpty else { throw ServiceError(.invalidArgument, "layer is empty") }
    let layer = try model.layer(request.layer)
    guard !request.imageIds.isEmpty else { throw ServiceError(.invalidArgument, "image_ids is empty: name the images to factor") }
    try checkLimit(request.imageIds.count, configuration.maxImagesPerRequest, "images")
    let options = try Self.nmfOptions(request)
    let policy: NMFPolicy
    switch request.policy {
    case .refuse: policy = .refuse
    case .clamp: policy = .clamp
    case .split: policy = .split
    case .UNRECOGNIZED(let v): throw ServiceError(.invalidArgument, "unknown NMF policy \(v)")
    }
    let images = try images(request.imageIds, for: model)
    let key = "\(model.name)|\(layer.name)|\(request.imageIds.joined(separator: ","))|\(options.k)|\(options.maxIterations)|\(options.tolerance)|\(policy)|\(options.initialization)"
    if let cached = recentFactorisations.get(key) { return cached }
    let grids = try await self.grids(model: model, images: images, layers: [layer.name]).map { $0[0] }
    let (h, w) = (layer.height, layer.width)
    let answer = try await executor.run { () throws -> NMFAnswer in
      let start = ContinuousClock.now
      do throws(NMFError) {
        let matrix = try NMFMatrix.stacking(grids, policy: policy, layer: layer.name)
        let result = try NMF.factor(matrix, options: options)
        let seconds = StatsInterceptor.ms(ContinuousClock.now - start) / 1000
        return NMFAnswer(layer: layer.name, height: h, width: w, columns: matrix.columns, k: options.k, groups: result.groups,
                         strength: result.strength, w: result.w, h: result.h, relativeError: result.relativeError,
                         iterations: result.iterations, seconds: seconds, images: images)
      } catch {
        throw ServiceError(.invalidArgument, error.message)
      }
    }
    recentFactorisations.put(key, answer)
    return answer
  }

  /// The solver options of a request, with its defaults filled in and ranges checked.
  static func nmfOptions(_ request: Simlay_V1_NmfRequest) throws -> NMF.Options {
    guard request.k >= 1 else { throw ServiceError(.invalidArgument, "k = \(request.k): the number of groups must be at least 1") }
    guard request.maxIter >= 0, request.maxIter <= 100_000 else {
      throw ServiceError(.invalidArgument, "max_iter \(request.maxIter) must be between 1 and 100000 (0 = 200)")
    }
    guard request.tolerance >= 0, request.tolerance.isFinite else {
      throw ServiceError(.invalidArgument, "tolerance \(request.tolerance) must be a finite number >= 0 (0 = 1e-4)")
    }
    let initialization: NMFInitialization
    switch request.init_p {
    case .nndsvda: initialization = .nndsvda
    case .nndsvd: initialization = .nndsvd
    case .random: initialization = .random(seed: request.seed)
    case .UNRECOGNIZED(let v): throw ServiceError(.invalidArgument, "unknown NMF init \(v)")
    }
    return NMF.Options(k: Int(request.k), maxIterations: request.maxIter == 0 ? 200 : Int(request.maxIter),
                       tolerance: request.tolerance == 0 ? 1e-4 : Double(request.tolerance), initialization: initialization)
  }
}
