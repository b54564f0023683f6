import SimlayProto

extension DaemonState {
  /// Answers a Sweep request.
  func sweep(_ request: Simlay_V1_SweepRequest) async throws -> Simlay_V1_SweepResponse {
    throw ServiceError(.internalError, "Sweep is not implemented yet")
  }
}
