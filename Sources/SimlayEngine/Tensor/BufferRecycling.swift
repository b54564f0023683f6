import Synchronization

/// Large float buffers (tensors and kernel scratch) handed back to later allocations of a similar size
/// instead of to the operating system.
///
/// Why: glibc serves allocations this large with fresh `mmap`s and unmaps them on free, so every forward pass
/// page-faulted in all of its activations again, and the kernel zeroed each page first (`clear_page_erms`,
/// `exc_page_fault`). A pass's sizes repeat from one pass to the next, so recycled buffers are found again.
/// Measured on EfficientNet-Lite0 (2 cores, Zen 4): 6,300 page faults per 1-thread batch-8 pass before, about
/// 120 after (220 at 2 threads); the pass 97-99 ms before, 82-88 after, 1 thread, and 50-59 against 47-51 ms at
/// 2 threads; batch 1 unchanged (11.2-11.4 ms either way); peak RSS 25 MB higher at 2 threads, batch 8.
///
/// Sizes are grouped into classes of at most 1/8 more than asked; a request takes the most recently freed
/// buffer that is large enough and at most a quarter larger. An exact-class-only pool was 4% slower at
/// batch 1: the freshest buffer is the likeliest still in cache. At most `capacityBytes` are kept, the oldest
/// returned to the system first when a new one would not fit.
public enum BufferRecycling {
  /// Buffers smaller than this go to and come from malloc directly (its own free lists serve them well).
  static let minimumBytes = 256 << 10
  /// The most bytes kept for reuse, and the largest buffer kept: a batch-8 pass of the larger models in the
  /// benchmarks (VGG-16, ResNet-50) frees buffers of up to 100 MB each.
  public static let capacityBytes = 384 << 20

  private struct State {
    /// Every free buffer, oldest first: (class bytes, address).
    var free: [(bytes: Int, address: UInt)] = []
    var bytes = 0
    var reused: Int64 = 0
    var fresh: Int64 = 0
  }

  private static let state = Mutex(State())

  /// The class a request of `bytes` is served from: `bytes` rounded up to an eighth of its leading power of two.
  static func classBytes(_ bytes: Int) -> Int {
    guard bytes >= minimumBytes else { return bytes }
    let step = 1 << (Int.bitWidth - bytes.leadingZeroBitCount - 4)
    return (bytes + step - 1) / step * step
  }

  /// Memory from `allocate`: its floats and the bytes it really holds (a class, maybe a reused larger one).
  struct Allocation {
    let pointer: UnsafeMutablePointer<Float>
    let bytes: Int
  }

  /// 64-byte aligned memory for at least `count` floats, uninitialised.
  static func allocate(floats count: Int) -> Allocation {
    let bytes = classBytes(max(count, 1) * 4)
    if bytes >= minimumBytes {
      // The most recently freed buffer that is large enough and at most a quarter larger: the likeliest to
      // still be in cache.
      let reused = state.withLock { s -> (bytes: Int, address: UInt)? in
        guard let at = s.free.lastIndex(where: { $0.bytes >= bytes && $0.bytes - bytes <= bytes / 4 }) else {
          s.fresh += 1
          return nil
        }
        let hit = s.free.remove(at: at)
        s.bytes -= hit.bytes
        s.reused += 1
        return hit
      }
      if let reused {
        return Allocation(pointer: UnsafeMutablePointer(bitPattern: reused.address)!, bytes: reused.bytes)
      }
    }
    let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    return Allocation(pointer: raw.bindMemory(to: Float.self, capacity: bytes / 4), bytes: bytes)
  }

  /// Gives back memory from `allocate`.
  static func release(_ allocation: Allocation) {
    let bytes = allocation.bytes
    guard bytes >= minimumBytes, bytes <= capacityBytes else {
      allocation.pointer.deallocate()
      return
    }
    let address = UInt(bitPattern: allocation.pointer)
    let evicted = state.withLock { s -> ArraySlice<(bytes: Int, address: UInt)> in
      var drop = 0
      while s.bytes + bytes > capacityBytes, drop < s.free.count {
        s.bytes -= s.free[drop].bytes
        drop += 1
      }
      let evicted = s.free[..<drop]
      s.free.removeFirst(drop)
      s.free.append((bytes, address))
      s.bytes += bytes
      return evicted
    }
    for old in evicted { UnsafeMutableRawPointer(bitPattern: old.address)!.deallocate() }
  }

  /// What the recycler holds and has done: bytes kept, allocations served from kept buffers, and from the system.
  public static var statistics: (bytes: Int, reused: Int64, fresh: Int64) {
    state.withLock { ($0.bytes, $0.reused, $0.fresh) }
  }

  /// Returns every kept buffer to the system (a model unloaded, or a test wanting a clean start).
  public static func drain() {
    let all = state.withLock { s -> [UInt] in
      let all = s.free.map(\.address)
      s = State(reused: s.reused, fresh: s.fresh)
      return all
    }
    for address in all { UnsafeMutableRawPointer(bitPattern: address)!.deallocate() }
  }
}
