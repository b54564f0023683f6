import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import NIOCore
import NIOPosix
import SimlayCore
import SimlayEventLoop
import SimlayLive
import SimlayService

/// `simlayd`: holds models and an activation cache and answers gRPC requests over a Unix socket and/or TCP.
@main
struct SimlayD: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "simlayd",
    abstract: "The Simlay daemon: similarity overlays of CNN activations over gRPC (Unix socket and/or TCP).")

  @Option(help: "Unix socket path (default: \(DaemonDefaults.socketPath()) when no --tcp is given).")
  var unix: String?

  @Option(
    help:
      "TCP address HOST:PORT (or PORT for 127.0.0.1). Needs --token-file (loopback too, unless --allow-loopback-without-token)."
  )
  var tcp: String?

  @Option(
    help: ArgumentHelp(
      "Serve the live page on HTTP HOST:PORT (or PORT for 127.0.0.1): open http://HOST:PORT/?images=ID1,ID2&layer=L.",
      discussion:
        "A non-loopback address needs --token-file (the page then takes &token=T); with --tls-cert it is HTTPS."))
  var http: String?

  @Flag(
    name: .customLong("allow-loopback-without-token"),
    help: "Serve a loopback --tcp address without a token: every local user can then call the daemon.")
  var allowLoopbackWithoutToken = false

  @Option(
    name: .customLong("model"),
    help: ArgumentHelp(
      "NAME=PATH.onnx[,mean=R:G:B][,std=R:G:B][,size=H:W][,order=rgb|bgr] to load at start; repeatable. The first is the default model.",
      discussion:
        "The options give the preprocessing of a model whose file has no simlay.* metadata (mean and std in 0..255 units; size = input height and width, needed when the file's is symbolic)."
    ))
  var models: [String] = []

  @Option(
    name: .customLong("model-dir"),
    help:
      "Directory LoadModel may read model files from (symlinks and .. resolved); repeatable. Without one, clients cannot load files."
  )
  var modelDirs: [String] = []

  @Option(name: .customLong("cache-mb"), help: "Activation cache size in MiB.")
  var cacheMB: Int = 1024

  @Option(name: .customLong("image-cache-mb"), help: "Decoded image store size in MiB.")
  var imageCacheMB: Int = 512

  @Option(name: .customLong("token-file"), help: "File holding a bearer token every call must present.")
  var tokenFile: String?

  @Option(name: .customLong("max-message-mb"), help: "Largest request message in MiB.")
  var maxMessageMB: Int = 64

  @Option(name: .customLong("max-image-pixels"), help: "Largest image (width x height) accepted.")
  var maxImagePixels: Int = 50_000_000

  @Option(
    name: .customLong("max-request-pixels"), help: "Most pixels one AddImages request may decode, over all its images.")
  var maxRequestPixels: Int = 400_000_000

  @Option(name: .customLong("max-images"), help: "Most images per request.")
  var maxImages: Int = 64

  @Option(name: .customLong("max-layers"), help: "Most layers per request.")
  var maxLayers: Int = 16

  @Option(
    name: .customLong("forward-threads"),
    help: "Forward passes at once (default: cores - 1, at least 1, so one core stays free for queries).")
  var forwardThreads: Int?

  @Option(
    name: .customLong("decode-threads"),
    help: "Images decoded at once, on threads of their own, never the forward threads (default: cores).")
  var decodeThreads: Int?

  @Option(
    name: .customLong("forward-batch"),
    help: "Most new images one forward pass takes: the first query on N new images runs N / this passes.")
  var forwardBatch: Int = 8

  @Option(
    name: .customLong("io-threads"),
    help:
      "Threads for connections and the hover path. With one (the default) a streamed query is read, answered and written on one thread, without hand-offs."
  )
  var ioThreads: Int = 1

  @OptionGroup(title: "TLS and access")
  var security: SecurityOptions

  @OptionGroup(title: "Budgets")
  var budgets: BudgetOptions

  @Option(
    name: .customLong("max-concurrent-streams"),
    help: "Calls at once on one connection, announced to clients (HTTP/2 SETTINGS), which queue the rest.")
  var maxConcurrentStreams: Int = 100

  @Option(
    name: .customLong("max-connections"),
    help:
      "Connections at once over all listeners (more are closed as they arrive); at most the descriptor limit less 64.")
  var maxConnections: Int = 1024

  @Option(
    name: .customLong("handshake-timeout-seconds"),
    help: "Close a connection that sends nothing for this long after connecting (0 = never).")
  var handshakeTimeoutSeconds: Int = 10

  @Option(
    name: .customLong("idle-timeout-seconds"),
    help: "Close a connection that has had no call for this long (0 = never).")
  var idleTimeoutSeconds: Int = 300

  @Option(
    name: .customLong("shutdown-grace-seconds"),
    help: "On SIGTERM/SIGINT, how long calls in flight may run before they are cancelled.")
  var shutdownGraceSeconds: Double = 5

  @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
  var logLevel: String = "info"

  func validate() throws {
    for (v, name) in [
      (cacheMB, "--cache-mb"), (imageCacheMB, "--image-cache-mb"), (maxMessageMB, "--max-message-mb"),
      (maxImagePixels, "--max-image-pixels"), (maxRequestPixels, "--max-request-pixels"), (maxImages, "--max-images"),
      (maxLayers, "--max-layers"),
      (ioThreads, "--io-threads"), (decodeThreads ?? 1, "--decode-threads"),
      (forwardBatch, "--forward-batch"),
      (maxConcurrentStreams, "--max-concurrent-streams"), (maxConnections, "--max-connections"),
    ] where v <= 0 {
      throw ValidationError("\(name) must be positive")
    }
    guard handshakeTimeoutSeconds >= 0 else {
      throw ValidationError("--handshake-timeout-seconds must be 0 (never) or positive")
    }
    guard idleTimeoutSeconds >= 0 else { throw ValidationError("--idle-timeout-seconds must be 0 (never) or positive") }
    guard shutdownGraceSeconds >= 0, shutdownGraceSeconds <= 86_400 else {
      throw ValidationError("--shutdown-grace-seconds must be between 0 and 86400, got \(shutdownGraceSeconds)")
    }
    guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
  }

  func run() async throws {
    do {
      try await serve()
    } catch let e as DaemonError {
      FileHandle.standardError.write(Data("simlayd: error: \(e.message)\n".utf8))
      throw ExitCode(1)
    }
  }

  private func serve() async throws {
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      handler.logLevel = Logger.Level(rawValue: logLevel) ?? .info
      return handler
    }
    let logger = Logger(label: "simlayd")

    var config = ServiceConfiguration()
    config.cacheBytes = cacheMB << 20
    config.imageStoreBytes = imageCacheMB << 20
    config.maxMessageBytes = maxMessageMB << 20
    config.maxImagePixels = maxImagePixels
    config.maxRequestPixels = maxRequestPixels
    config.maxImagesPerRequest = maxImages
    config.maxLayersPerRequest = maxLayers
    config.forwardConcurrency = forwardThreads ?? max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
    config.decodeConcurrency = decodeThreads ?? max(1, ProcessInfo.processInfo.activeProcessorCount)
    config.batchThreads = max(1, ProcessInfo.processInfo.activeProcessorCount)
    config.maxForwardBatch = forwardBatch
    budgets.apply(to: &config)

    let token = try tokenFile.map(Self.readToken)
    let tcpAddress = try tcp.map { try ListenAddress.parseTCP($0) }
    if let tcpAddress, token == nil {
      // Loopback is not private: any local user can connect to a TCP port (a Unix socket has file
      // permissions; a port has none). So TCP needs a token unless the operator opts out, as TorchServe does.
      guard tcpAddress.isLoopback else {
        throw DaemonError(
          "binding the non-loopback address \(tcpAddress.host) needs --token-file (every call must then carry 'authorization: Bearer <token>')"
        )
      }
      guard allowLoopbackWithoutToken else {
        throw DaemonError(
          "--tcp \(tcpAddress) needs --token-file: any local user can connect to a TCP port; pass --allow-loopback-without-token to serve it without one"
        )
      }
      logger.warning(
        "serving TCP without a token (--allow-loopback-without-token): every local user can call the daemon",
        metadata: ["address": "\(tcpAddress)"])
    }
    let httpAddress = try http.map { try ListenAddress.parseTCP($0, flag: "--http") }
    if let httpAddress, token == nil {
      guard httpAddress.isLoopback else {
        throw DaemonError(
          "binding the live page to the non-loopback address \(httpAddress.host) needs --token-file (open it with &token=<token>)"
        )
      }
      // The contract's `simlayd --http 127.0.0.1:PORT` serves without a token. Browsers cannot reach
      // it from other sites' pages (the WebSocket checks Origin), but local users can.
      logger.warning(
        "serving the live page without a token: every local user can use it (give --token-file to require one)",
        metadata: ["address": "\(httpAddress)"])
    }
    if security.enabled, tcpAddress == nil, httpAddress == nil {
      throw DaemonError(
        "--tls-cert secures the --tcp and --http listeners: give --tcp HOST:PORT or --http HOST:PORT (a Unix socket is guarded by its file permissions)"
      )
    }
    let tcpSecurity = try security.transportSecurity()
    if let tcpAddress, !tcpAddress.isLoopback, !security.enabled {
      logger.warning(
        "serving a non-loopback address without TLS: the token and every image travel in clear text (give --tls-cert and --tls-key)",
        metadata: ["address": "\(tcpAddress)"])
    }
    let unixPath = unix ?? (tcp == nil ? DaemonDefaults.socketPath() : nil)
    let socketClaim = try unixPath.map(UnixSocket.prepare(path:))

    let specs = try models.map(ModelSpec.init(parsing:))
    do {
      config.modelDirectories = try ModelDirectories(resolving: modelDirs)
    } catch let e as ServiceError {
      throw DaemonError(e.message)
    }
    let ioGroup = MultiThreadedEventLoopGroup(numberOfThreads: ioThreads)
    if ioThreads == 1 { config.hoverExecutor = EventLoopExecutor(ioGroup.next()) }
    let state = DaemonState(
      configuration: config, defaultModelName: specs.first?.name ?? DaemonDefaults.defaultModelName, logger: logger)
    do {
      let list =
        specs.isEmpty
        ? [ModelSpec(name: DaemonDefaults.defaultModelName, path: try ModelLocator.defaultModelPath())] : specs
      for spec in list {
        // Through the registry's load: a second name for the same file shares the first one's weights.
        _ = try state.models.load(name: spec.name, path: spec.path, overrides: spec.overrides)
        logger.info("model loaded", metadata: ["name": "\(spec.name)", "path": "\(spec.path)"])
      }
    } catch {
      throw DaemonError("cannot load model: \(error)")
    }

    let budget = ConnectionGuard.descriptorBudget()
    if maxConnections > budget {
      logger.notice(
        "--max-connections lowered to what the descriptor limit allows",
        metadata: ["requested": "\(maxConnections)", "allowed": "\(budget)"])
    }
    let connections = ConnectionGuard(
      limit: min(maxConnections, budget),
      handshakeTimeout: handshakeTimeoutSeconds > 0 ? .seconds(Int64(handshakeTimeoutSeconds)) : nil, logger: logger)
    var interceptors: [any ServerInterceptor] = [
      StatsInterceptor(stats: state.requestStats, logger: logger), RequestLimitInterceptor(), AnswerSizeInterceptor(),
    ]
    var auth: BearerTokenInterceptor?
    if let token {
      let open: Set<String> = security.healthWithoutToken ? ["grpc.health.v1.Health"] : []
      auth = BearerTokenInterceptor(token: token, logger: logger, exemptServices: open)
      interceptors.insert(auth!, at: 0)
    }
    let live = try httpAddress.map { address in
      var liveConfig = LiveServer.Configuration(host: address.host, port: address.port)
      liveConfig.tls = try security.httpTLS()
      liveConfig.auth = auth
      liveConfig.maxMessageBytes = config.maxMessageBytes
      liveConfig.maxConnections = min(maxConnections, budget)
      return LiveServer(configuration: liveConfig, state: state, logger: logger)
    }
    let reflection: [any RegistrableRPCService]
    do { reflection = try ServerReflection.services() } catch {
      throw DaemonError("cannot read the embedded descriptors: \(error)")
    }
    let services: [any RegistrableRPCService] =
      [SimlayService(state: state), HealthService(lifecycle: config.lifecycle)] + reflection
    // The transport resets streams over its limit without a status, so it gets twice the configured
    // limit and the handlers enforce the limit itself with RESOURCE_EXHAUSTED and a message.
    let transportConfig = HTTP2ServerTransport.Posix.Config.defaults {
      $0.rpc.maxRequestPayloadSize = 2 * config.maxMessageBytes
      // Unannounced, the limit is discovered by the client opening one stream too many, which costs the
      // connection; announced, clients queue calls beyond it.
      $0.http2.maxConcurrentStreams = maxConcurrentStreams
      // HTTP/2's default 64 KB window made an upload wait for a WINDOW_UPDATE every 64 KB: 16 photos
      // (860 KB) took about 14 round trips. 8 MB is grpc-swift's own client default; a connection still
      // never has more than this in flight unread, and a message more than maxMessageBytes.
      $0.http2.targetWindowSize = 8 << 20
      $0.connection.maxIdleTime = idleTimeoutSeconds > 0 ? .seconds(idleTimeoutSeconds) : nil
      $0.channelDebuggingCallbacks.onAcceptTCPConnection = connections.admit
    }

    func makeServers() -> [ServingEndpoint] {
      var servers: [ServingEndpoint] = []
      if let unixPath {
        let transport = HTTP2ServerTransport.Posix(
          address: .unixDomainSocket(path: unixPath), transportSecurity: .plaintext, config: transportConfig,
          eventLoopGroup: ioGroup)
        servers.append(
          .grpc(
            GRPCServer(transport: transport, services: services, interceptors: interceptors), label: "unix:\(unixPath)")
        )
      }
      if let tcpAddress {
        let transport = HTTP2ServerTransport.Posix(
          address: tcpAddress.socketAddress, transportSecurity: tcpSecurity, config: transportConfig,
          eventLoopGroup: ioGroup)
        servers.append(
          .grpc(
            GRPCServer(transport: transport, services: services, interceptors: interceptors), label: "\(tcpAddress)"))
      }
      if let live, let httpAddress {
        // The page's calls go through the same services and interceptors as every socket's.
        servers.append(
          .inProcess(GRPCServer(transport: live.serverTransport, services: services, interceptors: interceptors)))
        servers.append(.live(live, scheme: security.enabled ? "https" : "http", host: httpAddress.host))
      }
      return servers
    }

    let shutdown = ShutdownSequence(
      grace: .milliseconds(Int((shutdownGraceSeconds * 1000).rounded())), lifecycle: config.lifecycle, logger: logger)
    let signals = SignalWatcher(shutdown.signalHandler)
    defer { signals.cancel() }
    let outcome: ShutdownSequence.Outcome
    do {
      // The servers exist only inside this call (see ShutdownSequence): none outlives the event loops.
      outcome = try await shutdown.run(makeServers()) { label in
        if label.hasPrefix("unix:") { socketClaim?.bound() }
        logger.notice("listening", metadata: ["address": "\(label)", "default_model": "\(state.models.defaultName)"])
      }
    } catch {
      socketClaim?.release()
      throw error
    }
    socketClaim?.release()
    // After abandoned calls the loops are still busy with their connections: exit without closing them.
    if outcome == .stopped { try? await ioGroup.shutdownGracefully() }
    logger.notice("stopped")
  }

  static func readToken(_ path: String) throws -> String {
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw DaemonError("cannot read token file '\(path)': \(String(cString: strerror(errno)))")
    }
    // As ssh does for private keys: a token others can read is no secret.
    let mode = info.st_mode & 0o777
    guard mode & 0o077 == 0 else {
      throw DaemonError(
        "token file '\(path)' has mode \(String(mode, radix: 8)): readable or writable by other users; chmod 600 it")
    }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw DaemonError("cannot read token file '\(path)'")
    }
    let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !token.isEmpty else { throw DaemonError("token file '\(path)' is empty") }
    return token
  }
}

/// A startup failure, reported as one line.
struct DaemonError: Error {
  var message: String
  init(_ message: String) { self.message = message }
}
