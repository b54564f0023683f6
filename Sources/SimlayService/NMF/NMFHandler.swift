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
  /// [N*H*W, k] and [k, columns].
  var w: [Float]
  var h: [Float]
  var relativeError: Double
  var iterations: Int
  var seconds: Double
}

extension DaemonState {
  /// Answers an Nmf request.
  func nmf(_ request: Simlay_V1_NmfRequest) async throws -> Simlay_V1_NmfResponse {
    throw ServiceError(.internalError, "Nmf is not implemented yet")
  }

  /// Runs (or finds a recent) factorisation for `request`; errors are ServiceErrors naming what was wrong.
  func nmfAnswer(_ request: Simlay_V1_NmfRequest) async throws -> NMFAnswer {
    throw ServiceError(.internalError, "Nmf is not implemented yet")
  }
}
