import ArgumentParser
import Foundation
import SimlayClient
import SimlayProto

/// `simlay nmf`: groups the activation vectors of one layer across images into k non-negative factors.
struct NMF: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nmf",
    abstract: "Group every position of every IMAGE at one layer into K groups by non-negative matrix factorisation.",
    discussion: """
      The rows factored are all N*H*W positions (image-major, then y, then x), the columns the layer's \
      channels: A ~= W H with W, H >= 0. Each position's group is the argmax of its row of W; H's rows \
      (the groups' channel profiles) have unit length. Layers with negative values (block outputs without \
      a ReLU) need --policy clamp or split. Without --npy-dir, --json or --out, prints the error, the \
      iterations and each image's group sizes.

      --npy-dir DIR writes groups.npy (int32 [N,H,W]), strength.npy (float32 [N,H,W]), W.npy (float32 \
      [N*H*W,K]) and H.npy (float32 [K,D]; D = 2C with --policy split). --group-similarity G starts a \
      similarity query from group G's centroid (the mean vector of its positions) and renders it with \
      --similarity-out / saves it with --similarity-npy.
      """)

  @OptionGroup var connection: ConnectionOptions

  @Option(help: "The daemon's model name (default: the daemon's default model).")
  var model: String = ""

  @Option(help: "Layer whose activation vectors are grouped (see `simlay layers`).")
  var layer: String

  @Option(name: .customLong("k"), help: "Number of groups.")
  var k: Int

  @Option(help: "Negative activations: refuse (error), clamp (max(x,0)) or split ([max(x,0), max(-x,0)]).")
  var policy: PolicyChoice = .refuse

  @Option(help: "Initialisation: nndsvda (default), nndsvd, or random (implied by --seed).")
  var initialization: InitChoice?

  @Option(help: "Seed of the random initialisation (implies --initialization random).")
  var seed: UInt64?

  @Option(name: .customLong("max-iter"), help: "Iteration budget (default 200).")
  var maxIter: Int?

  @Option(help: "Stop when 10 iterations lower the relative error by less than TOLERANCE/100 of itself (default 1e-4).")
  var tolerance: Float?

  @Option(name: .customLong("npy-dir"), help: "Write groups.npy, strength.npy, W.npy and H.npy here.")
  var npyDir: String?

  @Option(help: "Write the result's numbers (relative_error, iterations, group sizes...) to this JSON file.")
  var json: String?

  @Option(help: "Render the images with their positions coloured by group, and a legend, into this PNG.")
  var out: String?

  @Option(help: "With --out: colour only this group, in every image (the others are darkened).")
  var highlight: Int?

  @Option(name: .customLong("group-similarity"), help: "Similarity of every cell to group G's centroid.")
  var groupSimilarity: Int?

  @Option(name: .customLong("similarity-out"), help: "With --group-similarity: render the maps into this PNG.")
  var similarityOut: String?

  @Option(name: .customLong("similarity-npy"), help: "With --group-similarity: write the maps (float32 [N,H,W]).")
  var similarityNpy: String?

  @OptionGroup(title: "Rendering (--out, --similarity-out)") var render: RenderFlags

  @Argument(help: "Image files (PNG or JPEG).")
  var images: [String]

  func validate() throws {
    guard !images.isEmpty else { throw ValidationError("give at least one IMAGE") }
    guard k >= 1 else { throw ValidationError("--k must be at least 1, got \(k)") }
    if let maxIter, maxIter < 1 { throw ValidationError("--max-iter must be at least 1, got \(maxIter)") }
    if let tolerance, !(tolerance >= 0) { throw ValidationError("--tolerance must be >= 0, got \(tolerance)") }
    if let highlight, !(0..<k).contains(highlight) {
      throw ValidationError("--highlight \(highlight) is not a group: use 0..<\(k)")
    }
    if let g = groupSimilarity, !(0..<k).contains(g) {
      throw ValidationError("--group-similarity \(g) is not a group: use 0..<\(k)")
    }
    if groupSimilarity == nil, similarityOut != nil || similarityNpy != nil {
      throw ValidationError("--similarity-out and --similarity-npy need --group-similarity G")
    }
    if initialization != nil, initialization != .random, seed != nil {
      throw ValidationError("--seed only applies to --initialization random")
    }
  }

  func run() async throws {
    try await reportingErrors {
      let files = try ImageFiles(images)
      let options = try render.proto()
      try await connection.withDaemon { daemon in
        let infos = try await daemon.upload(files, model: model)
        let request = nmfRequest(ids: infos.map(\.id), options: options)
        let response = try await withProgress("factoring...") { try await daemon.nmf(request) }
        if let npyDir { try NMFOutput.writeNPYs(response, to: npyDir) }
        if let json {
          try JSONOutput.write(NMFOutput.document(response, request: request, files: files, infos: infos), to: json)
        }
        if let out { try OutputFile.write(response.png, to: out) }
        if let g = groupSimilarity { try await similarity(from: g, request: request, daemon: daemon, options: options) }
        if npyDir == nil, json == nil, out == nil, groupSimilarity == nil {
          NMFOutput.summaryLines(response, names: files.names).forEach { print($0) }
        }
      }
    }
  }

  private func nmfRequest(ids: [String], options: Simlay_V1_RenderOptions) -> Simlay_V1_NmfRequest {
    Simlay_V1_NmfRequest.with {
      $0.model = model
      $0.layer = layer
      $0.imageIds = ids
      $0.k = Int32(k)
      $0.maxIter = Int32(maxIter ?? 0)
      $0.tolerance = tolerance ?? 0
      $0.policy = policy.proto
      $0.init_p = (initialization ?? (seed != nil ? .random : .nndsvda)).proto
      $0.seed = seed ?? 0
      if out != nil { $0.render = options }
      if let highlight { $0.highlightGroup = Int32(highlight) }
    }
  }

  /// Similarity of every cell of every IMAGE to group `g`'s centroid.
  private func similarity(from g: Int, request: Simlay_V1_NmfRequest, daemon: Daemon, options: Simlay_V1_RenderOptions)
    async throws
  {
    var nmf = request
    nmf.clearRender()
    let similarity = Simlay_V1_SimilarityRequest.with {
      $0.model = model
      $0.layer = layer
      $0.query = .with { q in
        q.group = .with {
          $0.nmf = nmf
          $0.group = Int32(g)
        }
      }
      $0.targetIds = request.imageIds
      if similarityOut != nil { $0.render = options }
    }
    let response = try await daemon.similarity(similarity)
    if let similarityNpy { try OutputFile.writeNPY(response.maps, to: similarityNpy) }
    if let similarityOut { try OutputFile.write(response.rendered.png, to: similarityOut) }
    if similarityNpy == nil, similarityOut == nil {
      try MapStack(response.maps).summaryLines(names: ImageFiles(images).names).forEach { print($0) }
    }
  }
}

/// `--policy`.
enum PolicyChoice: String, CaseIterable, ExpressibleByArgument {
  case refuse, clamp, split

  var proto: Simlay_V1_NmfPolicy {
    switch self {
    case .refuse: return .refuse
    case .clamp: return .clamp
    case .split: return .split
    }
  }
}

/// `--initialization`.
enum InitChoice: String, CaseIterable, ExpressibleByArgument {
  case nndsvda, nndsvd, random

  var proto: Simlay_V1_NmfInit {
    switch self {
    case .nndsvda: return .nndsvda
    case .nndsvd: return .nndsvd
    case .random: return .random
    }
  }
}
