// swift-tools-version:6.1
import PackageDescription

/// Settings for the targets with hot loops. Not -Ounchecked: with Swift 6.3 it miscompiled error
/// propagation in the ONNX importer (a thrown EngineError crashed its catch site), and the kernels' inner
/// loops run on unsafe pointers, which carry no bounds checks anyway.
let fastMath: [SwiftSetting] = []

let package = Package(
  name: "simlay",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "simlay", targets: ["simlay"]),
    .executable(name: "simlayd", targets: ["simlayd"]),
    .library(name: "SimlayEngine", targets: ["SimlayEngine"]),
    .library(name: "SimlayImaging", targets: ["SimlayImaging"]),
    .library(name: "SimlayCore", targets: ["SimlayCore"]),
    .library(name: "SimlayClient", targets: ["SimlayClient"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
    .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
    .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
    // Already a dependency of the transport; named so the executables can read TLS files themselves.
    .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    // The live view's HTTP and WebSocket server (simlayd --http); no traits: swift-configuration unneeded.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
    // Already a dependency of Hummingbird; named so the live server runs in a service group of its own.
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
  ],
  targets: [
    // C shims.
    .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
    .target(
      name: "CImageCodecs",
      path: "Sources/CImageCodecs",
      cSettings: [.unsafeFlags(["-O2"])],
      linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg"), .linkedLibrary("z")]
    ),

    .target(
      name: "CSimlayKernels",
      path: "Sources/CSimlayKernels",
      cSettings: [.unsafeFlags(["-O3"])]
    ),

    // Engine (ONNX, ops, executor) and imaging (decode, resize, colormaps, PNG).
    .target(
      name: "SimlayEngine",
      dependencies: ["CBLAS", "CSimlayKernels", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
      path: "Sources/SimlayEngine",
      swiftSettings: fastMath
    ),
    .target(
      name: "SimlayImaging",
      dependencies: ["CImageCodecs"],
      path: "Sources/SimlayImaging",
      swiftSettings: fastMath
    ),

    // Similarity maths and the model/image pipeline shared by the CLI and the daemon.
    .target(
      name: "SimlayCore",
      dependencies: ["SimlayEngine", "SimlayImaging", "CBLAS", "CSimlayKernels"],
      path: "Sources/SimlayCore",
      swiftSettings: fastMath
    ),

    // The wire contract: code generated from Protos/ by scripts/gen-protos.sh (committed).
    .target(
      name: "SimlayProto",
      dependencies: [
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      path: "Sources/SimlayProto"
    ),

    // Wire tensors <-> plain arrays, shared by the service and the client (the maths never sees gRPC types).
    .target(
      name: "SimlayWire",
      dependencies: ["SimlayProto", .product(name: "GRPCCore", package: "grpc-swift-2")],
      path: "Sources/SimlayWire"
    ),

    // What a Swift program needs to talk to simlayd: addresses, the connection, errors, uploads, maps.
    .target(
      name: "SimlayClient",
      dependencies: [
        "SimlayCore", "SimlayProto", "SimlayWire",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ],
      path: "Sources/SimlayClient"
    ),

    // Benchmarks behind `simlay bench` (query, compute, nmf): the daemon load test and in-process timings.
    .target(
      name: "SimlayBenchmarks",
      dependencies: [
        "SimlayClient", "SimlayCore", "SimlayEngine", "SimlayEventLoop", "SimlayImaging", "SimlayProto",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
      ],
      path: "Sources/SimlayBenchmarks"
    ),

    // Runs Swift tasks on a NIO event loop: the hover path's thread in the daemon and in bench clients.
    .target(
      name: "SimlayEventLoop",
      dependencies: [.product(name: "NIOCore", package: "swift-nio")],
      path: "Sources/SimlayEventLoop"
    ),

    // The service: RPC handlers, image store, activation cache, limits, auth, stats.
    .target(
      name: "SimlayService",
      dependencies: [
        "SimlayCore", "SimlayProto", "SimlayWire",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      path: "Sources/SimlayService",
      // The HTML viewer's page, style and scripts, compiled into the binary as byte arrays
      // (PackageResources.viewer_html ...): simlayd needs no files beside it.
      resources: [
        .embedInCode("Viewer/Resources/viewer.html"),
        .embedInCode("Viewer/Resources/viewer.css"),
        .embedInCode("Viewer/Resources/viewer-core.js"),
        .embedInCode("Viewer/Resources/viewer-state.js"),
        .embedInCode("Viewer/Resources/viewer-pca.js"),
        .embedInCode("Viewer/Resources/viewer.js"),
      ]
    ),

    // The live view: an HTTP server whose page queries the service's hover path over a WebSocket.
    .target(
      name: "SimlayLive",
      dependencies: [
        "SimlayService", "SimlayProto", "SimlayWire",
        .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdCore", package: "hummingbird"),
        .product(name: "HummingbirdTLS", package: "hummingbird"),
        .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ],
      path: "Sources/SimlayLive",
      resources: [
        .embedInCode("Resources/live.html"),
        .embedInCode("Resources/live.css"),
        .embedInCode("Resources/live.js"),
        .embedInCode("Resources/live-core.js"),
        .embedInCode("Resources/live-state.js"),
        .embedInCode("Resources/live-net.js"),
        .embedInCode("Resources/live-panels.js"),
        .embedInCode("Resources/live-view.js"),
      ]
    ),

    // Thin executables.
    .executableTarget(
      name: "simlay",
      dependencies: [
        "SimlayBenchmarks", "SimlayClient", "SimlayCore", "SimlayEngine", "SimlayImaging", "SimlayProto",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
      ],
      path: "Client"
    ),
    .executableTarget(
      name: "simlayd",
      dependencies: [
        "SimlayService", "SimlayLive",
        .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        "SimlayEventLoop",
      ],
      path: "Server"
    ),

    // Harnesses the engine's tests share (kernel checks against references, the loader fuzzer): a regular
    // target that only test targets depend on, so nothing of it ships in the library.
    .target(
      name: "SimlayEngineTestSupport",
      dependencies: ["SimlayEngine", "CSimlayKernels", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
      path: "Tests/SimlayEngineTestSupport"
    ),

    // Tests mirror the source tree.
    .testTarget(
      name: "SimlayEngineTests", dependencies: ["SimlayEngine", "SimlayEngineTestSupport", "CSimlayKernels"],
      path: "Tests/SimlayEngineTests"),
    .testTarget(
      name: "SimlayImagingTests", dependencies: ["SimlayImaging"], path: "Tests/SimlayImagingTests",
      exclude: ["Fixtures"]),
    .testTarget(name: "SimlayCoreTests", dependencies: ["SimlayCore"], path: "Tests/SimlayCoreTests"),
    .testTarget(
      name: "SimlayEventLoopTests",
      dependencies: ["SimlayEventLoop", .product(name: "NIOPosix", package: "swift-nio")],
      path: "Tests/SimlayEventLoopTests"),
    .testTarget(
      name: "SimlayClientTests",
      dependencies: [
        "SimlayClient", "SimlayProto", "SimlayWire",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
      ],
      path: "Tests/SimlayClientTests"
    ),
    .testTarget(
      name: "SimlayLiveTests",
      dependencies: [
        "SimlayLive", "SimlayProto",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "NIOCore", package: "swift-nio"),
      ],
      path: "Tests/SimlayLiveTests"
    ),
    .testTarget(
      name: "SimlayServiceTests",
      dependencies: [
        "SimlayService",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
        .product(name: "NIOPosix", package: "swift-nio"),
        "SimlayEventLoop",
      ],
      path: "Tests/SimlayServiceTests"
    ),
  ]
)
