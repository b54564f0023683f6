import Foundation
import GRPCCore
import SimlayProto

/// `grpc.reflection.v1.ServerReflection` and its older name `grpc.reflection.v1alpha.ServerReflection`,
/// so that grpcurl, grpcui, Postman, evans and the language reflection clients can discover and call
/// simlayd without its .proto files. Both answer from one ``ReflectionIndex``; the two message families
/// are identical on the wire and differ only in their package, so each adapter is a field-by-field copy.
public enum ServerReflection {
  /// The services a daemon with reflection serves, as reflection lists them.
  public static let servedServices = [
    "simlay.v1.Simlay", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
  ]

  /// Both reflection services over the descriptors embedded in the binary.
  public static func services() throws -> [any RegistrableRPCService] {
    let index = try ReflectionIndex.embedded(served: servedServices)
    return [ReflectionV1(index: index), ReflectionV1Alpha(index: index)]
  }
}

struct ReflectionV1: Grpc_Reflection_V1_ServerReflection.SimpleServiceProtocol {
  let index: ReflectionIndex

  func serverReflectionInfo(
    request: RPCAsyncSequence<Grpc_Reflection_V1_ServerReflectionRequest, any Error>,
    response: RPCWriter<Grpc_Reflection_V1_ServerReflectionResponse>, context: ServerContext
  ) async throws {
    for try await message in request {
      try await response.write(respond(to: message))
    }
  }

  /// The response to one request.
  func respond(to message: Grpc_Reflection_V1_ServerReflectionRequest) -> Grpc_Reflection_V1_ServerReflectionResponse {
    let request: ReflectionIndex.Request
    switch message.messageRequest {
    case .fileByFilename(let n): request = .fileByFilename(n)
    case .fileContainingSymbol(let s): request = .fileContainingSymbol(s)
    case .fileContainingExtension(let e):
      request = .fileContainingExtension(type: e.containingType, number: e.extensionNumber)
    case .allExtensionNumbersOfType(let t): request = .allExtensionNumbers(type: t)
    case .listServices: request = .listServices
    case nil: request = .missing
    }
    return .with { out in
      out.validHost = message.host
      out.originalRequest = message
      switch index.answer(request) {
      case .files(let files): out.fileDescriptorResponse = .with { $0.fileDescriptorProto = files }
      case .extensionNumbers(let type, let numbers):
        out.allExtensionNumbersResponse = .with {
          $0.baseTypeName = type
          $0.extensionNumber = numbers
        }
      case .services(let names):
        out.listServicesResponse = .with { r in r.service = names.map { n in .with { $0.name = n } } }
      case .error(let code, let text):
        out.errorResponse = .with {
          $0.errorCode = code
          $0.errorMessage = text
        }
      }
    }
  }
}

/// The older name of the same protocol. Its messages are byte-for-byte the v1 messages on the wire, so
/// each one is re-read as v1, answered by ``ReflectionV1``, and re-read back: a few microseconds per
/// request, against a second copy of every field mapping.
struct ReflectionV1Alpha: Grpc_Reflection_V1alpha_ServerReflection.SimpleServiceProtocol {
  let index: ReflectionIndex

  func serverReflectionInfo(
    request: RPCAsyncSequence<Grpc_Reflection_V1alpha_ServerReflectionRequest, any Error>,
    response: RPCWriter<Grpc_Reflection_V1alpha_ServerReflectionResponse>, context: ServerContext
  ) async throws {
    let v1 = ReflectionV1(index: index)
    for try await message in request {
      let asV1 = try Grpc_Reflection_V1_ServerReflectionRequest(
        serializedBytes: try message.serializedBytes() as [UInt8])
      let answer = v1.respond(to: asV1)
      try await response.write(
        try Grpc_Reflection_V1alpha_ServerReflectionResponse(serializedBytes: try answer.serializedBytes() as [UInt8]))
    }
  }
}
