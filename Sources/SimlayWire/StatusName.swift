import GRPCCore

extension RPCError.Code {
  /// The canonical upper-case name of the status code, e.g. `NOT_FOUND`: what gRPC tools print and what
  /// clients that are not gRPC (the live page) are told.
  public var canonicalName: String {
    let names = [
      1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
      6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
      10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE",
      15: "DATA_LOSS", 16: "UNAUTHENTICATED",
    ]
    return names[rawValue] ?? "STATUS_\(rawValue)"
  }
}
