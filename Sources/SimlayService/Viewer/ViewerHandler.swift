import SimlayProto

extension DaemonState {
  /// Answers an ExportViewer request.
  func exportViewer(_ request: Simlay_V1_ExportViewerRequest) async throws -> Simlay_V1_ExportViewerResponse {
    throw ServiceError(.internalError, "ExportViewer is not implemented yet")
  }
}
