import CImageCodecs

/// Glue between the C codec shim and Swift: message buffers and status-to-error mapping.
enum CodecBridge {
  /// Size of the message buffer handed to C (the shim truncates to fit).
  static let messageCapacity = Int(SIMLAY_MSG_CAP)

  /// Runs a shim call with a fresh message buffer; returns its status and message.
  static func call(
    _ body: (UnsafeMutablePointer<CChar>, Int) -> simlay_status
  ) -> (status: simlay_status, message: String) {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: messageCapacity) { buffer in
      let base = buffer.baseAddress!
      base.initialize(repeating: 0, count: messageCapacity)
      let status = body(base, messageCapacity)
      return (status, String(cString: base))
    }
  }

  /// Converts a failed status into an ``ImagingError`` (`nil` for success).
  static func error(_ status: simlay_status, _ message: String) -> ImagingError? {
    let code: ImagingError.Code
    switch status {
    case SIMLAY_OK: return nil
    case SIMLAY_ERR_NOT_IMAGE: code = .notAnImage
    case SIMLAY_ERR_TRUNCATED: code = .truncated
    case SIMLAY_ERR_TOO_LARGE: code = .tooLarge
    case SIMLAY_ERR_EMPTY: code = .empty
    case SIMLAY_ERR_CORRUPT: code = .corrupt
    case SIMLAY_ERR_IO: code = .io
    case SIMLAY_ERR_INVALID_ARGUMENT: code = .invalidArgument
    default: code = .corrupt
    }
    // The shim always fills the message on failure; keep a fallback so it is never blank.
    return ImagingError(code, message.isEmpty ? "codec failure (status \(status.rawValue))" : message)
  }

  /// Throws when `status` is not `SIMLAY_OK`.
  static func check(_ result: (status: simlay_status, message: String)) throws(ImagingError) {
    if let error = error(result.status, result.message) { throw error }
  }

  /// Reads a whole file and hands its bytes to `body` without copying them into an Array.
  /// Errors thrown while reading or inside `body` get the path in front of their message.
  static func withFileBytes<R>(
    atPath path: String, _ body: (UnsafeBufferPointer<UInt8>) throws(ImagingError) -> R
  ) throws(ImagingError) -> R {
    var data: UnsafeMutablePointer<UInt8>? = nil
    var length = 0
    let result = call { msg, cap in simlay_read_file(path, &data, &length, msg, cap) }
    defer { simlay_free(data) }
    do {
      try check(result)
      return try body(UnsafeBufferPointer(start: data, count: length))
    } catch {
      throw error.naming(path)
    }
  }
}
