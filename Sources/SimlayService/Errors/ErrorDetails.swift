import Foundation
import GRPCCore
import SimlayProto
import SwiftProtobuf

/// What a program needs of a failure, beyond the status code and the English: a stable reason (a value
/// name of `simlay.v1.ErrorReason`), facts as metadata (the grid size, the id, the limit), the request
/// fields that were wrong and the limits that were hit. Sent as a `google.rpc.Status` in the
/// `grpc-status-details-bin` trailer, the convention every gRPC language's status helpers read.
public struct ErrorDetails: Sendable, Equatable {
  /// A value name of `simlay.v1.ErrorReason`, e.g. `IMAGE_EVICTED`.
  public var reason: Simlay_V1_ErrorReason
  /// Facts a program may act on, e.g. `["grid_height": "14", "grid_width": "14"]`.
  public var metadata: [String: String]
  /// (field path, what is wrong with it), e.g. `("query.cell.y", "20 is not in 0..<14")`.
  public var fieldViolations: [FieldViolation]
  /// (limit, what exceeded it), e.g. `("--max-images", "65 images")`.
  public var quotaViolations: [QuotaViolation]

  /// One wrong request field.
  public struct FieldViolation: Sendable, Equatable {
    public var field: String
    public var description: String
  }

  /// One exceeded limit.
  public struct QuotaViolation: Sendable, Equatable {
    public var subject: String
    public var description: String
  }

  /// Details with a reason and facts.
  public init(
    _ reason: Simlay_V1_ErrorReason, metadata: [String: String] = [:], fieldViolations: [FieldViolation] = [],
    quotaViolations: [QuotaViolation] = []
  ) {
    self.reason = reason
    self.metadata = metadata
    self.fieldViolations = fieldViolations
    self.quotaViolations = quotaViolations
  }

  /// The trailer key of gRPC's rich status.
  public static let trailerKey = "grpc-status-details-bin"

  /// The reason's name as the proto spells it (`IMAGE_NOT_FOUND`): SwiftProtobuf names enum cases in
  /// lower camel case and keeps its name maps internal, so the name comes from the embedded descriptors.
  public var reasonName: String {
    FieldNames.enumValueName(reason.rawValue, in: "simlay.v1.ErrorReason") ?? "ERROR_REASON_UNSPECIFIED"
  }

  /// The serialized `google.rpc.Status` for a failure with `code` and `message`.
  func status(code: RPCError.Code, message: String) -> [UInt8] {
    var status = Google_Rpc_Status()
    status.code = Int32(code.rawValue)
    status.message = message
    var info = Google_Rpc_ErrorInfo()
    info.reason = reasonName
    info.domain = "simlay.v1"
    info.metadata = metadata
    var details: [Google_Protobuf_Any] = []
    if let any = try? Google_Protobuf_Any(message: info) { details.append(any) }
    if !fieldViolations.isEmpty {
      let request = Google_Rpc_BadRequest.with {
        $0.fieldViolations = fieldViolations.map { v in
          .with {
            $0.field = v.field
            $0.description_p = v.description
          }
        }
      }
      if let any = try? Google_Protobuf_Any(message: request) { details.append(any) }
    }
    if !quotaViolations.isEmpty {
      let quota = Google_Rpc_QuotaFailure.with {
        $0.violations = quotaViolations.map { v in
          .with {
            $0.subject = v.subject
            $0.description_p = v.description
          }
        }
      }
      if let any = try? Google_Protobuf_Any(message: quota) { details.append(any) }
    }
    status.details = details
    return (try? status.serializedBytes()) ?? []
  }

  /// `code` and `message` as an RPCError carrying these details in its trailers.
  func rpcError(code: RPCError.Code, message: String) -> RPCError {
    var trailers = Metadata()
    trailers.addBinary(status(code: code, message: message), forKey: Self.trailerKey)
    return RPCError(code: code, message: message, metadata: trailers)
  }
}
