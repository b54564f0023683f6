import SimlayProto
import SimlayService
import Testing

/// ExportViewerStream's pieces: at most the byte limit each, split only between characters, in order,
/// and together the page.
@Suite("Viewer page chunks")
struct ViewerChunkTests {
  @Test(
    "pieces within the limit, whole characters, offsets in order, the page rebuilt",
    arguments: [4, 5, 13, 124, 1 << 20])
  func chunks(maxBytes: Int) {
    // ASCII, 2-, 3- and 4-byte characters, so every split position meets some boundary.
    let page = String(repeating: "<p>é€😀 Ω abc</p>\n", count: 301)
    let chunks = Simlay_V1_ExportViewerChunk.chunks(of: page, maxBytes: maxBytes)
    let total = page.utf8.count
    var offset: Int64 = 0
    for c in chunks {
      #expect(c.html.utf8.count <= maxBytes)
      #expect(!c.html.isEmpty)
      #expect(c.offset == offset)
      #expect(c.totalBytes == Int64(total))
      offset += Int64(c.html.utf8.count)
    }
    #expect(offset == Int64(total))
    #expect(chunks.map(\.html).joined() == page)
    #expect(chunks.count >= (total + maxBytes - 1) / maxBytes)
  }
}
