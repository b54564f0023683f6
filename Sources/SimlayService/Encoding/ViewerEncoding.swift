import SimlayProto

extension Simlay_V1_ExportViewerResponse {
  /// The page, as one string.
  init(_ page: ViewerPage) {
    self.init()
    html = page.html
  }
}

extension Simlay_V1_ExportViewerChunk {
  /// Most bytes of page in one chunk: well under every client's 4 MiB default receive limit.
  static let maxBytes = 1 << 20

  /// The page in pieces of at most `maxBytes` (at least 4) UTF-8 bytes, each ending between characters, in order.
  package static func chunks(of html: String, maxBytes: Int = maxBytes) -> [Simlay_V1_ExportViewerChunk] {
    precondition(maxBytes >= 4, "a piece must hold any one character")
    let utf8 = html.utf8
    var out: [Simlay_V1_ExportViewerChunk] = []
    var start = utf8.startIndex
    var offset = 0
    while start < utf8.endIndex {
      var end = utf8.index(start, offsetBy: maxBytes, limitedBy: utf8.endIndex) ?? utf8.endIndex
      // Back up to a character boundary: never split a multi-byte character (continuation bytes are 10xxxxxx).
      while end < utf8.endIndex, utf8[end] & 0xC0 == 0x80 { end = utf8.index(before: end) }
      let piece = String(decoding: utf8[start..<end], as: UTF8.self)
      out.append(
        .with {
          $0.html = piece
          $0.offset = Int64(offset)
          $0.totalBytes = Int64(utf8.count)
        })
      offset += utf8.distance(from: start, to: end)
      start = end
    }
    return out
  }
}
