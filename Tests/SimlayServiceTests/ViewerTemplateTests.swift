import Foundation
@_spi(Testing) import SimlayService
import Testing

/// The viewer page's template on its own: the embedded resources are the files in
/// Sources/SimlayService/Viewer/Resources, every slot is filled, and hostile titles and payloads cannot
/// end an element, open a comment or fill a slot.
@Suite("Viewer template")
struct ViewerTemplateTests {
  static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Sources/SimlayService/Viewer/Resources")

  static func file(_ name: String) throws -> String {
    try String(contentsOf: resources.appendingPathComponent(name), encoding: .utf8)
  }

  /// The text between `open` and the next `close` after it.
  static func element(_ html: String, _ open: String, _ close: String) throws -> Substring {
    let start = try #require(html.range(of: open)).upperBound
    let end = try #require(html.range(of: close, range: start..<html.endIndex)).lowerBound
    return html[start..<end]
  }

  @Test("the embedded resources are the repository's files, and the page holds each one verbatim, in order")
  func pageHoldsTheResources() throws {
    #expect(ViewerTemplate.html == (try Self.file("viewer.html")))
    #expect(ViewerTemplate.css == (try Self.file("viewer.css")))
    #expect(
      ViewerTemplate.scripts.map { $0.file } == ["viewer-core.js", "viewer-state.js", "viewer-pca.js", "viewer.js"])
    for script in ViewerTemplate.scripts {
      #expect(script.source == (try Self.file(script.file)), "\(script.file) is not what is embedded")
      // Nothing in our sources needs the escaping, so the page runs exactly the files node tests.
      for needle in ["</script", "</SCRIPT", "<!--"] {
        #expect(!script.source.contains(needle), "\(script.file) holds \(needle)")
      }
    }
    #expect(!ViewerTemplate.css.contains("</style") && !ViewerTemplate.css.contains("<!--"))
    for slot in ["{{title}}", "{{css}}", "{{payload}}", "{{scripts}}"] { #expect(ViewerTemplate.html.contains(slot)) }

    let html = ViewerTemplate.page(title: "A page", dataJSON: #"{"version":1}"#)
    #expect(!html.contains("{{"), "a slot left unfilled")
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(try Self.element(html, "<style>", "</style>") == ViewerTemplate.css)
    var at = html.startIndex
    for script in ViewerTemplate.scripts {
      let open = "<script data-file=\"\(script.file)\">"
      let start = try #require(html.range(of: open, range: at..<html.endIndex), "no \(open) after the previous script")
      let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
      #expect(html[start.upperBound..<end.lowerBound] == script.source)
      at = end.upperBound
    }
    #expect(
      try Self.element(html, #"<script type="application/json" id="simlay-data">"#, "</script>") == #"{"version":1}"#)
    #expect(html.components(separatedBy: "<script").count == 6, "the data block and four scripts")
    #expect(html.range(of: "</body>") != nil)  // the Python client inserts its embedding script before it
  }

  @Test("a hostile title is escaped in <title> and <h1>, and fills no slot")
  func hostileTitle() throws {
    let title = #"</title><script>alert("x")</script> & 'q' {{css}} {{payload}}"#
    let html = ViewerTemplate.page(title: title, dataJSON: "{}")
    let escaped =
      "&lt;/title&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; {{css}} {{payload}}"
    #expect(try Self.element(html, "<title>", "</title>") == escaped)
    #expect(try Self.element(html, #"<h1 id="title">"#, "</h1>") == escaped)
    #expect(!html.contains("<script>alert"))
    #expect(html.components(separatedBy: "{{css}}").count == 3, "the title's {{css}}, twice, and nothing else")
  }

  @Test("a hostile payload stays inside its data block and decodes to the same JSON")
  func hostilePayload() throws {
    let object: [String: Any] = [
      "title": "</script><script>alert(1)</script>",
      "names": ["<!--", "<script>", "</SCRIPT >", "{{scripts}}", "a\u{2028}b"],
    ]
    let json = String(
      decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    let html = ViewerTemplate.page(title: "t", dataJSON: json)
    let block = try Self.element(html, #"<script type="application/json" id="simlay-data">"#, "</script>")
    #expect(!block.contains("<"), "a < left in the data block")
    let decoded = try #require(try JSONSerialization.jsonObject(with: Data(block.utf8)) as? [String: Any])
    #expect(decoded["title"] as? String == object["title"] as? String)
    #expect(decoded["names"] as? [String] == object["names"] as? [String])
    #expect(
      ViewerTemplate.jsonSafe(ViewerTemplate.jsonSafe(json)) == ViewerTemplate.jsonSafe(json),
      "escaping twice changes nothing")
    #expect(!html.contains("<script>alert"))
  }

  @Test("script and style sources are escaped against end tags (any case) and comment openers")
  func sourceEscaping() {
    #expect(
      ViewerTemplate.scriptSafe("s = '</script>' + '</ScRiPt' + '<!--';", tag: "script")
        == #"s = '<\/script>' + '<\/ScRiPt' + '<\!--';"#)
    #expect(
      ViewerTemplate.scriptSafe("a::after { content: '</style>'; }", tag: "style")
        == #"a::after { content: '<\/style>'; }"#)
    #expect(ViewerTemplate.scriptSafe("if (a < b) x = '</p>';", tag: "script") == "if (a < b) x = '</p>';")
  }

  @Test("slots are filled in one pass; unknown or unclosed slots are left as written")
  func slotFilling() {
    #expect(ViewerTemplate.fill("<{{a}}|{{b}}|{{a}}>", ["a": "{{b}}", "b": "B"]) == "<{{b}}|B|{{b}}>")
    #expect(ViewerTemplate.fill("{{nope}} {{a", ["a": "A"]) == "{{nope}} {{a")
    #expect(ViewerTemplate.fill("x{{a}}y{{b}}", ["a": "}}{{", "b": ""]) == "x}}{{y")
    #expect(ViewerTemplate.fill("", [:]) == "")
  }
}
