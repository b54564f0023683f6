import CImageCodecs

/// zlib-format compression of the viewer's data blocks. The page inflates them with the browser's
/// `DecompressionStream('deflate')` (which expects exactly this RFC 1950 format). Quantised similarity
/// triangles are smooth along rows, so they shrink to about half or less.
@_spi(Testing) public enum ViewerDeflate {
  /// Compresses `bytes` at zlib `level` (0-9; 6 is zlib's default balance of size and time).
  public static func compress(_ bytes: [UInt8], level: Int32 = 6) throws -> [UInt8] {
    var capacity = simlay_deflate_bound(bytes.count)
    var out = [UInt8](repeating: 0, count: capacity)
    let rc = bytes.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        simlay_deflate(src.baseAddress, bytes.count, level, dst.baseAddress, &capacity)
      }
    }
    guard rc == 0 else {
      throw ServiceError(.internalError, "deflate failed (zlib error \(rc)) on \(bytes.count) bytes")
    }
    out.removeSubrange(capacity...)
    return out
  }

  /// Inverts `compress`, given the original length (the page knows it too; tests use this).
  public static func decompress(_ bytes: [UInt8], count: Int) throws -> [UInt8] {
    // zlib refuses a null output buffer even for an empty result.
    guard count > 0 else { return [] }
    var length = count
    var out = [UInt8](repeating: 0, count: count)
    let rc = bytes.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in simlay_inflate(src.baseAddress, bytes.count, dst.baseAddress, &length)
      }
    }
    guard rc == 0, length == count else {
      throw ServiceError(.internalError, "inflate failed (zlib error \(rc)): \(length) of \(count) bytes")
    }
    return out
  }
}
