import Foundation
import SimlayEngine
import SimlayImaging
import Synchronization

/// An uploaded image: decoded once, shared by every client that adds the same bytes.
public struct StoredImage: Sendable {
  /// Content-addressed id: hash of the bytes and of the preprocessing.
  public let id: String
  /// Display name from the first upload.
  public let name: String
  /// The decoded image at its original size.
  public let image: RGBImage
  /// The preprocessing key it was added under (see LoadedModel.preprocessingKey).
  let preprocessingKey: String
  /// The model input for it under that preprocessing ([1, C, H, W], resized and normalised), made when
  /// the image was added. Why: resizing a 12-megapixel photo to 224x224 takes tens of milliseconds; done
  /// on the decode threads, in parallel, the forward thread only concatenates inputs into a batch.
  let input: Tensor

  /// What the entry makes the daemon hold: the decoded pixels, the prepared model input, the name and id
  /// the client chose or caused (names are counted: ten 1x1 images with 30 MB names once held 305 MB while
  /// 4.7 MB was reported), and a fixed `entryOverhead` for the entry's bookkeeping.
  var byteCount: Int { image.pixels.count + input.byteCount + name.utf8.count + id.utf8.count + Self.entryOverhead }

  /// Bytes of bookkeeping counted per entry (the dictionary slot, the tick, the array headers).
  static let entryOverhead = 128
}

/// Images by id, bounded in bytes with least-recently-used eviction.
public final class ImageStore: Sendable {
  private struct State {
    var images: [String: (image: StoredImage, tick: UInt64)] = [:]
    var bytes = 0
    var tick: UInt64 = 0
    /// Ids evicted lately, oldest first, so a miss can say "evicted: add it again" rather than "never
    /// added" (IMAGE_EVICTED vs IMAGE_NOT_FOUND). Bounded: 8192 ids of 32 characters, under 1 MB.
    var evicted = Set<String>()
    var evictionOrder: [String] = []
  }

  /// How many evicted ids the store remembers.
  static let evictedMemory = 8192

  private let state = Mutex(State())
  /// Capacity in bytes.
  public let capacity: Int

  /// A store holding at most `capacity` bytes of decoded pixels.
  public init(capacity: Int) {
    self.capacity = capacity
  }

  /// The id of `bytes` under a preprocessing.
  static func id(of bytes: [UInt8], preprocessingKey: String) -> String {
    var sha = SHA256()
    sha.update(bytes)
    sha.update([0] + Array(preprocessingKey.utf8))
    return String(SHA256.hex(digest: sha.finalize()).prefix(32))
  }

  /// Adds (or finds) an image. Decoding happens only for new ids. Returns the entry and whether it existed.
  /// `prepare` makes the model input from the decoded image.
  func add(
    bytes: [UInt8], name: String, preprocessingKey: String, maxPixels: Int,
    prepare: (RGBImage) -> Tensor
  ) throws -> (StoredImage, Bool) {
    let id = Self.id(of: bytes, preprocessingKey: preprocessingKey)
    if let existing = lookup(id) { return (existing, true) }
    let label = name.isEmpty ? "image" : name
    guard !bytes.isEmpty else { throw ServiceError(.invalidArgument, "\(label): empty image data") }
    let decoded: RGBImage
    do {
      decoded = try ImageDecoder.decode(bytes, maxPixels: maxPixels)
    } catch {
      throw ImagingError(code: error.code, message: "\(label): \(error.message)")
    }
    let stored = StoredImage(
      id: id, name: name.isEmpty ? String(id.prefix(8)) : name, image: decoded, preprocessingKey: preprocessingKey,
      input: prepare(decoded))
    state.withLock { s in
      s.tick += 1
      if s.images[id] == nil {
        s.evicted.remove(id)
        s.images[id] = (stored, s.tick)
        s.bytes += stored.byteCount
      }
      while s.bytes > capacity, s.images.count > 1,
        let victim = s.images.filter({ $0.key != id }).min(by: { $0.value.tick < $1.value.tick })
      {
        s.images[victim.key] = nil
        s.bytes -= victim.value.image.byteCount
        if s.evicted.insert(victim.key).inserted { s.evictionOrder.append(victim.key) }
        if s.evictionOrder.count > Self.evictedMemory {
          s.evicted.remove(s.evictionOrder.removeFirst())
        }
      }
    }
    return (stored, false)
  }

  /// The image with `id`, marking it recently used.
  func lookup(_ id: String) -> StoredImage? {
    state.withLock { s in
      guard var entry = s.images[id] else { return nil }
      s.tick += 1
      entry.tick = s.tick
      s.images[id] = entry
      return entry.image
    }
  }

  /// The image with `id`, or NOT_FOUND naming it.
  func get(_ id: String) throws -> StoredImage {
    guard !id.isEmpty else { throw ServiceError(.invalidArgument, "an image id is empty") }
    guard let image = lookup(id) else {
      let shown = ServiceError.quoted(id, limit: 64)
      if state.withLock({ $0.evicted.contains(id) }) {
        throw ServiceError(
          .notFound, "image \(shown) was evicted from the image store: add it again",
          details: ErrorDetails(.imageEvicted, metadata: ["image_id": id]))
      }
      throw ServiceError(
        .notFound, "no image with id \(shown) (never added, or evicted long ago: add it again)",
        details: ErrorDetails(.imageNotFound, metadata: ["image_id": id]))
    }
    return image
  }

  /// Images held and their bytes.
  var usage: (count: Int, bytes: Int) { state.withLock { ($0.images.count, $0.bytes) } }
}
