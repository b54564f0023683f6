import Foundation
import GRPCCore
import HummingbirdWebSocket
import NIOCore
import SimlayProto
import Synchronization

/// One page's WebSocket: `hello` (its token), `call` (unary RPCs, a few at once), `hover` (latest-only, on
/// one SimilarityStream). The wire is described in DEVELOPERS.md ("The live view").
struct LiveSession {
  let bridge: LiveBridge

  enum Outgoing: Sendable {
    case text(String)
    case binary(ByteBuffer)
  }

  /// What the socket's tasks share: the page's token (set by hello) and the calls running.
  final class Shared: Sendable {
    let token = Mutex<String?>(nil)
    let running = Atomic<Int>(0)
  }

  func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
    // One writer: answers of concurrent calls and hovers leave in the order they are ready, never
    // interleaved within a message.
    let (outgoing, send) = AsyncStream.makeStream(of: Outgoing.self)
    // Latest-only: a hover arriving while another runs replaces the waiting one (which is told).
    let (hovers, hoverSink) = AsyncStream.makeStream(of: HoverJob.self, bufferingPolicy: .bufferingNewest(1))
    let shared = Shared()
    let bridge = self.bridge
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        for await message in outgoing {
          switch message {
          case .text(let s): try await outbound.write(.text(s))
          case .binary(let b): try await outbound.write(.binary(b))
          }
        }
      }
      group.addTask {
        await HoverLoop(service: bridge.service, token: { shared.token.withLock { $0 } }).run(hovers, send: send)
      }
      for try await message in inbound.messages(maxSize: bridge.configuration.maxMessageBytes) {
        guard case .text(let text) = message else {
          send.yield(.text(Self.error(nil, "INVALID_ARGUMENT", "binary messages are not part of the live protocol")))
          continue
        }
        let envelope: LiveEnvelope
        do { envelope = try LiveEnvelope(text) } catch {
          send.yield(.text(Self.error(nil, "INVALID_ARGUMENT", "\(error)")))
          continue
        }
        switch envelope.op {
        case "hello":
          shared.token.withLock { $0 = envelope.token }
          send.yield(.text(await hello(token: envelope.token)))
        case "hover":
          do {
            let job = try envelope.hoverJob(maxRows: bridge.state.configuration.maxLayersPerRequest)
            if case .dropped(let old) = hoverSink.yield(job) {
              send.yield(.text(#"{"op":"superseded","seq":\#(old.seq)}"#))
            }
          } catch {
            send.yield(.text(Self.error(envelope.seqField, error)))
          }
        case "call":
          guard shared.running.add(1, ordering: .relaxed).newValue <= bridge.configuration.maxCallsPerSocket else {
            shared.running.subtract(1, ordering: .relaxed)
            send.yield(
              .text(
                Self.error(
                  envelope.idField, "RESOURCE_EXHAUSTED",
                  "more than \(bridge.configuration.maxCallsPerSocket) calls at once on one live connection")))
            continue
          }
          let md = LiveBridge.metadata(token: shared.token.withLock { $0 })
          group.addTask {
            defer { shared.running.subtract(1, ordering: .relaxed) }
            do {
              let (method, json) = try envelope.call()
              let answer = try await LiveCalls.call(method, json: json, on: bridge.service, metadata: md)
              send.yield(.text(#"{"op":"result","id":\#(envelope.id ?? "null"),"response":\#(answer)}"#))
            } catch {
              send.yield(.text(Self.error(envelope.idField, error)))
            }
          }
        default:
          send.yield(
            .text(
              Self.error(
                nil, "INVALID_ARGUMENT", "unknown op \(envelope.op.prefix(32).debugDescription): hello, call or hover"))
          )
        }
      }
      hoverSink.finish()
      group.cancelAll()
    }
  }

  /// Checks the token with a Stats call (behind the daemon's token check like every method) and
  /// answers the daemon's limits, which the page needs to size its requests.
  private func hello(token: String?) async -> String {
    do {
      let stats = try await bridge.service.stats(Simlay_V1_StatsRequest(), metadata: LiveBridge.metadata(token: token))
      return #"{"op":"hello","version":1,"limits":\#(try stats.limits.jsonString(options: LiveCalls.encoding))}"#
    } catch {
      return Self.error(nil, error, op: "hello")
    }
  }

  /// An error answer naming the gRPC status; `field` is `"id":K` or `"seq":S` (already JSON).
  static func error(_ field: String?, _ error: any Error, op: String = "error") -> String {
    let rpc = error as? RPCError
    return Self.error(field, rpc?.code.canonicalName ?? "INVALID_ARGUMENT", rpc?.message ?? "\(error)", op: op)
  }

  static func error(_ field: String?, _ code: String, _ message: String, op: String = "error") -> String {
    let body: [String: Any] = ["op": op, "code": code, "message": message]
    var text = String(
      decoding: (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
    if let field, !text.isEmpty { text = "{\(field)," + text.dropFirst() }
    return text
  }
}
