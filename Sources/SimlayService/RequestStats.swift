import Synchronization

/// Request counts, errors and latency percentiles per RPC method, over a window of recent requests.
public final class RequestStats: Sendable {
  private struct Method {
    var requests: Int64 = 0
    var errors: Int64 = 0
    var recent: [Double] = []
    var next = 0
  }

  private static let window = 2048
  private let methods = Mutex<[String: Method]>([:])

  /// Creates empty statistics.
  public init() {}

  /// Records one request.
  public func record(method: String, milliseconds: Double, failed: Bool) {
    methods.withLock { m in
      // Mutated in place: a copy out of the dictionary and back would copy the whole window every call.
      Self.add(milliseconds, failed: failed, to: &m[method, default: Method()])
    }
  }

  private static func add(_ milliseconds: Double, failed: Bool, to s: inout Method) {
    s.requests += 1
    if failed { s.errors += 1 }
    if s.recent.count < window {
      s.recent.append(milliseconds)
    } else {
      s.recent[s.next] = milliseconds
      s.next = (s.next + 1) % window
    }
  }

  /// Per method: requests, errors and p50/p90/p99 latency in milliseconds, sorted by method name.
  public func snapshot() -> [(method: String, requests: Int64, errors: Int64, p50: Double, p90: Double, p99: Double)] {
    methods.withLock { m in
      m.sorted { $0.key < $1.key }.map { name, s in
        let sorted = s.recent.sorted()
        func q(_ p: Double) -> Double {
          sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
        }
        return (name, s.requests, s.errors, q(0.5), q(0.9), q(0.99))
      }
    }
  }
}
