import Synchronization

/// A value that knows the bytes it makes the daemon hold.
protocol ByteCounted: Sendable {
  var byteCount: Int { get }
}

/// The few most recent results of an expensive computation by key (e.g. NMF factorisations, which a
/// viewer and group queries ask for again right after the first request), bounded in count and in bytes:
/// a result larger than the byte budget is returned to its caller but not kept.
final class RecentResults<Value: ByteCounted>: Sendable {
  private struct State {
    var entries: [(key: String, value: Value)] = []
    var bytes = 0
  }

  private let state = Mutex(State())
  /// Entries kept.
  let capacity: Int
  /// Bytes kept, at most.
  let byteCapacity: Int

  init(capacity: Int, bytes: Int) {
    self.capacity = capacity
    self.byteCapacity = bytes
  }

  /// The value for `key`, marking it most recent.
  func get(_ key: String) -> Value? {
    state.withLock { s in
      guard let i = s.entries.firstIndex(where: { $0.key == key }) else { return nil }
      let entry = s.entries.remove(at: i)
      s.entries.append(entry)
      return entry.value
    }
  }

  /// Stores `value` as the most recent, dropping the oldest beyond the count or byte capacity.
  func put(_ key: String, _ value: Value) {
    state.withLock { s in
      remove(into: &s) { $0 == key }
      guard value.byteCount <= byteCapacity else { return }
      s.entries.append((key, value))
      s.bytes += value.byteCount
      while s.entries.count > capacity || s.bytes > byteCapacity {
        s.bytes -= s.entries.removeFirst().value.byteCount
      }
    }
  }

  /// Drops every entry whose key matches (UnloadModel drops its model's results).
  func removeAll(where matches: (String) -> Bool) {
    state.withLock { s in remove(into: &s, where: matches) }
  }

  /// Bytes held.
  var bytes: Int { state.withLock { $0.bytes } }

  private func remove(into s: inout State, where matches: (String) -> Bool) {
    for entry in s.entries where matches(entry.key) { s.bytes -= entry.value.byteCount }
    s.entries.removeAll { matches($0.key) }
  }
}
