import SimlayCore
import SimlayEngine
import SimlayProto

/// A validated Nmf request: what `nmfAnswer` factors (or finds among the recent factorisations).
struct NMFJob: Sendable {
  var model: LoadedModel
  var layer: GridLayer
  /// The images whose positions are factored together, in row order.
  var images: [StoredImage]
  var options: NMF.Options
  var policy: NMFPolicy
  /// Identifies the factorisation among the recent ones (same images, layer and solver settings).
  var key: String
}

extension DaemonState {
  /// The decode step of Nmf (and of the requests embedding one): every field checked, defaults filled in,
  /// ids resolved. INVALID_ARGUMENT, NOT_FOUND or RESOURCE_EXHAUSTED naming what was wrong.
  func decode(_ request: Simlay_V1_NmfRequest) throws -> NMFJob {
    let (model, layer) = try modelLayer(request.model, request.layer)
    guard !request.imageIds.isEmpty else {
      throw ServiceError(.invalidArgument, "image_ids is empty: name the images to factor")
    }
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
    try checkNMFWork(rows: images.count * layer.height * layer.width, options: options)
    let key =
      "\(model.cacheID)|\(layer.name)|\(request.imageIds.joined(separator: ","))|\(options.k)|\(options.maxIterations)|\(options.tolerance)|\(policy)|\(options.initialization)"
    return NMFJob(model: model, layer: layer, images: images, options: options, policy: policy, key: key)
  }

  /// The solver options of a request, with its defaults filled in and ranges checked.
  static func nmfOptions(_ request: Simlay_V1_NmfRequest) throws -> NMF.Options {
    guard request.k >= 1 else {
      throw ServiceError(.invalidArgument, "k = \(request.k): the number of groups must be at least 1")
    }
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
    return NMF.Options(
      k: Int(request.k), maxIterations: request.maxIter == 0 ? 200 : Int(request.maxIter),
      tolerance: request.tolerance == 0 ? 1e-4 : Double(request.tolerance), initialization: initialization)
  }
}
