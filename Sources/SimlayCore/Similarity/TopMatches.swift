/// One of the most similar cells of a stack of maps: the map (target) index, the cell and its value.
public struct TopMatch: Sendable, Hashable {
  /// Index of the map (the request's target) the cell belongs to.
  public var image: Int
  /// The cell, 0-based, y down.
  public var y: Int
  public var x: Int
  /// The map's value there.
  public var value: Float

  /// A match.
  public init(image: Int, y: Int, x: Int, value: Float) {
    (self.image, self.y, self.x, self.value) = (image, y, x, value)
  }
}

/// The cells left out of a top-K selection: on the maps `images` (the query's own image, wherever it is
/// among the targets), every cell within Chebyshev distance `radius` of the query's cell rectangle.
public struct TopExclusion: Sendable, Hashable {
  /// Map indices the exclusion applies to.
  public var images: Set<Int>
  /// The query's cells, half-open: y0 <= y < y1, x0 <= x < x1.
  public var y0: Int, x0: Int, y1: Int, x1: Int
  /// Cells with max(|dy|, |dx|) <= radius from the rectangle are excluded (0 = the rectangle itself).
  public var radius: Int

  /// An exclusion around a cell rectangle.
  public init(images: Set<Int>, y0: Int, x0: Int, y1: Int, x1: Int, radius: Int) {
    self.images = images
    (self.y0, self.x0, self.y1, self.x1, self.radius) = (y0, x0, y1, x1, radius)
  }

  /// Whether cell (y, x) of map `image` is left out.
  public func excludes(image: Int, y: Int, x: Int) -> Bool {
    images.contains(image) && excludesCell(y: y, x: x)
  }

  /// Whether cell (y, x) is within `radius` of the rectangle (on any map).
  @inline(__always)
  func excludesCell(y: Int, x: Int) -> Bool {
    // Chebyshev distance from a point to a rectangle: the larger of the two axis gaps (0 inside).
    let dy = max(y0 - y, 0, y - (y1 - 1))
    let dx = max(x0 - x, 0, x - (x1 - 1))
    return max(dy, dx) <= radius
  }
}

/// Top-K selection over similarity maps (`simlay similarity --top K`): the K largest values of N maps of
/// H x W cells, in decreasing value, ties broken by the lower map, then y, then x, i.e. by the lower flat
/// index, so the answer never depends on thread timing or sort stability. NaN values are never matches.
public enum TopMatches {
  /// The largest K a request may ask for. A bound on the answer (K matches per target at most 64
  /// targets is 65536 entries, about 1.5 MB on the wire), not on the work: selection is one pass.
  public static let maxK = 1024

  /// The `k` best cells of `maps` (N * height * width values, map-major), over all maps, or the `k` best
  /// of each map (grouped by map, in map order) with `perMap`. Fewer when fewer cells are left.
  public static func select(
    maps: [Float], count n: Int, height: Int, width: Int, k: Int, perMap: Bool = false,
    exclusion: TopExclusion? = nil
  ) -> [TopMatch] {
    let plane = height * width
    guard k > 0, plane > 0, n > 0, maps.count == n * plane else { return [] }
    let ranges = perMap ? (0..<n).map { $0..<($0 + 1) } : [0..<n]
    return maps.withUnsafeBufferPointer { values in
      ranges.flatMap { images -> [TopMatch] in
        var heap = BoundedHeap(capacity: k)
        for i in images {
          // Looked up once per map, not per cell: with a set lookup per cell an exclusion added 1.2 ms per
          // call on 16 maps of 112 x 112 (bench_top.py, one run on a busy machine); without, within noise.
          let excluding = exclusion.flatMap { $0.images.contains(i) ? $0 : nil }
          for y in 0..<height {
            for x in 0..<width {
              let flat = i * plane + y * width + x
              let v = values[flat]
              guard !v.isNaN else { continue }
              if let e = excluding, e.excludesCell(y: y, x: x) { continue }
              heap.offer(Candidate(value: v, flat: flat))
            }
          }
        }
        return heap.sortedBestFirst().map { c in
          TopMatch(image: c.flat / plane, y: (c.flat % plane) / width, x: c.flat % width, value: c.value)
        }
      }
    }
  }

  /// A cell under consideration: its value and flat index (map-major, then y, then x).
  struct Candidate {
    var value: Float
    var flat: Int
    /// Whether `self` ranks before `other`: larger value, then lower flat index.
    func ranksBefore(_ other: Candidate) -> Bool {
      value != other.value ? value > other.value : flat < other.flat
    }
  }

  /// The best `capacity` candidates seen so far, as a binary heap whose root is the worst of them: a new
  /// candidate costs one comparison unless it beats the root (O(M log K) for M cells, against O(M log M)
  /// for sorting every cell; 802816 cells of 64 maps of 112 x 112 are a few milliseconds).
  struct BoundedHeap {
    let capacity: Int
    private(set) var items: [Candidate] = []

    init(capacity: Int) {
      self.capacity = capacity
      items.reserveCapacity(min(capacity, 4096))
    }

    mutating func offer(_ c: Candidate) {
      if items.count < capacity {
        items.append(c)
        siftUp(items.count - 1)
      } else if c.ranksBefore(items[0]) {
        items[0] = c
        siftDown(0)
      }
    }

    /// Worst-first heap order: a parent ranks after its children.
    private func worse(_ a: Int, _ b: Int) -> Bool { items[b].ranksBefore(items[a]) }

    private mutating func siftUp(_ start: Int) {
      var i = start
      while i > 0 {
        let parent = (i - 1) / 2
        guard worse(i, parent) else { return }
        items.swapAt(i, parent)
        i = parent
      }
    }

    private mutating func siftDown(_ start: Int) {
      var i = start
      while true {
        let (l, r) = (2 * i + 1, 2 * i + 2)
        var worst = i
        if l < items.count, worse(l, worst) { worst = l }
        if r < items.count, worse(r, worst) { worst = r }
        guard worst != i else { return }
        items.swapAt(i, worst)
        i = worst
      }
    }

    func sortedBestFirst() -> [Candidate] { items.sorted { $0.ranksBefore($1) } }
  }
}
