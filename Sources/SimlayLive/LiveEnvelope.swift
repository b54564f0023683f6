import Foundation
import GRPCCore
import SimlayProto

/// A hover: its sequence number and one request per row of the page.
@_spi(Testing) public struct HoverJob: Sendable {
  public var seq: UInt32
  public var requests: [Simlay_V1_SimilarityRequest]
}

/// One text message from a page, parsed: `{"op": ..., ...}` with the fields its op needs.
@_spi(Testing) public struct LiveEnvelope: @unchecked Sendable {
  /// A message that is not a JSON object with an "op".
  public struct Malformed: Error, CustomStringConvertible {
    public var description: String
  }

  /// `hello`, `call` or `hover`.
  public let op: String
  /// hello: the daemon's token.
  public let token: String?
  /// call: the caller's id as JSON (a number or a string), echoed in the answer.
  public let id: String?
  /// hover: the page's sequence number.
  public let seq: UInt32?
  // Only JSON values (Foundation's JSON objects), never mutated after parsing: hence @unchecked Sendable.
  private let object: [String: Any]

  /// Parses `text`, or throws ``Malformed``.
  public init(_ text: String) throws {
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
      throw Malformed(description: "a live message must be a JSON object")
    }
    guard let op = object["op"] as? String else { throw Malformed(description: "a live message needs \"op\"") }
    self.object = object
    self.op = op
    self.token = object["token"] as? String
    switch object["id"] {
    case let n as Int: id = "\(n)"
    case let s as String:
      // JSON-escaped through the serializer (a one-element array, brackets dropped).
      let array = try JSONSerialization.data(withJSONObject: [String(s.prefix(64))])
      id = String(String(decoding: array, as: UTF8.self).dropFirst().dropLast())
    default: id = nil
    }
    seq = (object["seq"] as? Int).flatMap { UInt32(exactly: $0) }
  }

  /// `"id":K` for an answer to a call, nil when the call had no id.
  var idField: String? { id.map { #""id":\#($0)"# } }
  /// `"seq":S` for an answer to a hover.
  var seqField: String? { seq.map { #""seq":\#($0)"# } }

  /// call: the method and its request as JSON text (an empty request when none is given).
  public func call() throws -> (method: String, json: Data) {
    guard let method = object["method"] as? String else {
      throw RPCError(code: .invalidArgument, message: "a call needs \"method\"")
    }
    let request = object["request"] ?? [String: Any]()
    guard request is [String: Any] else {
      throw RPCError(code: .invalidArgument, message: "a call's \"request\" must be a JSON object")
    }
    return (method, try JSONSerialization.data(withJSONObject: request))
  }

  /// hover: the job, its requests decoded (INVALID_ARGUMENT naming what was wrong; RESOURCE_EXHAUSTED
  /// beyond `maxRows` rows, the daemon's layers-per-request limit).
  public func hoverJob(maxRows: Int) throws -> HoverJob {
    guard let seq else {
      throw RPCError(code: .invalidArgument, message: "a hover needs \"seq\", a non-negative integer")
    }
    guard let rows = object["requests"] as? [Any], !rows.isEmpty else {
      throw RPCError(code: .invalidArgument, message: "a hover needs \"requests\": one SimilarityRequest per row")
    }
    guard rows.count <= maxRows else {
      throw RPCError(
        code: .resourceExhausted, message: "\(rows.count) rows in one hover exceeds the daemon's limit of \(maxRows)")
    }
    let requests = try rows.map { row -> Simlay_V1_SimilarityRequest in
      guard row is [String: Any] else {
        throw RPCError(code: .invalidArgument, message: "each hover request must be a JSON object")
      }
      return try LiveCalls.decode(Simlay_V1_SimilarityRequest.self, try JSONSerialization.data(withJSONObject: row))
    }
    return HoverJob(seq: seq, requests: requests)
  }
}
