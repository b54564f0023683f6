/// The daemon's limits and sizes, each configurable from the command line.
public struct ServiceConfiguration: Sendable {
  /// Bytes of activations the cache may hold (least recently used entries are evicted beyond it).
  public var cacheBytes: Int = 1024 << 20
  /// Bytes of decoded images the image store may hold.
  public var imageStoreBytes: Int = 512 << 20
  /// Largest request message accepted by the transport.
  public var maxMessageBytes: Int = 64 << 20
  /// Largest image (width x height) accepted: decompression bombs are refused before decoding.
  public var maxImagePixels: Int = 50_000_000
  /// Most pixels one AddImages request may decode, over all its images (read from the headers first).
  /// Why: the per-image limit alone let sixteen flat 49-megapixel PNGs (a 2.5 MB request) keep a compute
  /// thread decoding for 19 s. 400 megapixels is 32 twelve-megapixel phone photos, about 4 s of decoding.
  public var maxRequestPixels: Int = 400_000_000
  /// Most images one request may upload or target.
  public var maxImagesPerRequest: Int = 64
  /// Most layers one request may name.
  public var maxLayersPerRequest: Int = 16
  /// Forward passes that may run at once (each on its own thread, outside the RPC threads, so queries on
  /// cached activations never queue behind them).
  public var forwardConcurrency: Int = 1
  /// Images that may be decoded (and resized to the model's input) at once, on threads of their own: never
  /// on the forward threads, so a slow image holds no query (simlayd --decode-threads).
  public var decodeConcurrency: Int = 2
  /// Most new images one batched forward pass takes (the first query on N new images runs N / 8 passes).
  public var maxForwardBatch: Int = 8
  /// Engine threads of a batched forward pass. Why more than one: a batch is throughput work (a first
  /// query on 16 new images) where both cores pay off; the engine's pool spins briefly and then blocks,
  /// so a query arriving meanwhile still gets a core.
  public var batchThreads: Int = 1
  /// Where LoadModel may read files from (simlayd --model-dir); none = client paths are refused.
  public var modelDirectories = ModelDirectories()
  /// Longest side of an overlay tile, at most.
  public var maxTileSize: Int = 1024
  /// NMF budget per request: rows (images x H x W) x k x max_iter. 1e9 allows the default 200 iterations
  /// at k = 64 over 64 images of a 14 x 14 layer (2.5e8), and refuses 32 such images at k = 64 with
  /// max_iter 100000 (4e10), which held the forward thread for minutes.
  public var maxNMFWork: Int = 1_000_000_000
  /// Pixels one request may render: tiles x tile_size^2. 2^25 (32 Mi, 96 MiB of RGB) is 32 tiles at
  /// 1024 or 512 tiles at 256; the 16 x 16 grid at 1024 that took 148 s is 8 times this.
  public var maxRenderPixels: Int = 1 << 25
  /// Forward passes (steps) one Sweep may run.
  public var maxSweepSteps: Int = 64
  /// Queries one Sweep may track: each costs a map per step (64 x 64 steps of a 14 x 14 layer are 3 MiB of
  /// maps), so sweeps have their own limit rather than reusing the images-per-request one.
  public var maxSweepQueries: Int = 64
  /// Queries one SimilarityBatch call may hold: 4096 covers every cell of a 64 x 64 grid.
  public var maxBatchQueries: Int = 4096
  /// Map values (queries x targets x cells) one SimilarityBatch call may answer: 2^26 floats are 256 MiB,
  /// e.g. all 196 cells of a 14 x 14 layer against 64 images (2.4M), or 4096 queries x 16 images at 32 x 32.
  public var maxBatchValues: Int = 1 << 26
  /// Bytes of models the daemon may hold: each file's weights once, plus each name's name and path.
  public var maxModelBytes: Int = 4096 << 20
  /// Bytes of recent NMF results kept for group queries and viewers (factors, groups, strengths).
  public var nmfResultBytes: Int = 256 << 20

  /// Where Similarity and SimilarityStream handlers run: the transport's event loop when it has only one
  /// (see `EventLoopExecutor`), or nil for Swift's shared pool. Nothing CPU-heavy runs there.
  public var hoverExecutor: (any TaskExecutor)? = nil

  /// Serving or shutting down: idle `SimilarityStream`s end with UNAVAILABLE when shutdown begins.
  public var lifecycle = ServingLifecycle()

  /// The defaults.
  public init() {}
}
