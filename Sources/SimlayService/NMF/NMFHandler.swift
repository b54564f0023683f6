import SimlayProto

extension DaemonState {
  /// Answers an Nmf request.
  func nmf(_ request: Simlay_V1_NmfRequest) async throws -> Simlay_V1_NmfResponse {
    throw ServiceError(.internalError, "Nmf is not implemented yet")
  }
}
