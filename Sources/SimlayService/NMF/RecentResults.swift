import Synchronization

/// The few most recent results of an expensive computation by key (e.g. NMF factorisations, which a
/// viewer and group queries ask for again right after the first request).
final class RecentResults<Value: Sendable>: Sendable {
  private let entries = Mutex<[(key: String, value: Value)]>([])
  /// Entries kept.
  let capacity: Int

  init(capacity: Int) {
    self.capacity = capacity
  }

  /// The value for `key`, marking it most recent.
  func get(_ key: String) -> Value? {
    entries.withLock { e in
      guard let i = e.firstIndex(where: { $0.key == key }) else { return nil }
      let entry = e.remove(at: i)
      e.append(entry)
      return entry.value
    }
  }

  /// Stores `value` as the most recent, dropping the oldest beyond capacity.
  func put(_ key: String, _ value: Value) {
    entries.withLock { e in
      e.removeAll { $0.key == key }
      e.append((key, value))
      if e.count > capacity { e.removeFirst(e.count - capacity) }
    }
  }
}
