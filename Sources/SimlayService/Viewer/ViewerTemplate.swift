import Foundation

/// The viewer page: `Resources/viewer.html` with its slots filled by the style (`viewer.css`), the data block
/// (`ViewerPayload`) and the scripts (`viewer-core.js`, `viewer-state.js`, `viewer-pca.js`, `viewer.js`). The files are
/// package resources embedded in the binary (`.embedInCode` in Package.swift; SwiftPM generates
/// `PackageResources.viewer_html` etc. as byte arrays), so that `simlayd` works when copied on its own
/// and a linter, a formatter and node (`node --test Tests/js/`) see real JavaScript and CSS.
@_spi(Testing) public enum ViewerTemplate {
  /// The page skeleton, with the slots `{{title}}`, `{{css}}`, `{{payload}}` and `{{scripts}}`.
  public static let html = String(decoding: PackageResources.viewer_html, as: UTF8.self)
  /// The style sheet.
  public static let css = String(decoding: PackageResources.viewer_css, as: UTF8.self)
  /// The scripts in page order, by file name: the pure functions first, then the DOM wiring that uses them.
  public static let scripts: [(file: String, source: String)] = [
    ("viewer-core.js", String(decoding: PackageResources.viewer_core_js, as: UTF8.self)),
    ("viewer-state.js", String(decoding: PackageResources.viewer_state_js, as: UTF8.self)),
    ("viewer-pca.js", String(decoding: PackageResources.viewer_pca_js, as: UTF8.self)),
    ("viewer.js", String(decoding: PackageResources.viewer_js, as: UTF8.self)),
  ]

  /// The whole page. `title` is plain text (escaped here); `dataJSON` is the payload's JSON text (every `<`
  /// is escaped here too, so no string in it can end the data block whatever the caller did).
  public static func page(title: String, dataJSON: String) -> String {
    let scriptElements = scripts.map {
      "<script data-file=\"\($0.file)\">\(scriptSafe($0.source, tag: "script"))</script>"
    }
    return fill(
      html,
      [
        "title": escapeHTML(title),
        "css": scriptSafe(css, tag: "style"),
        "payload": jsonSafe(dataJSON),
        "scripts": scriptElements.joined(separator: "\n"),
      ])
  }

  /// `template` with every `{{name}}` replaced by `slots[name]`, in one pass: text put into a slot is never
  /// searched for slots again (a title "{{css}}" stays a title). An unknown slot name is left as it is.
  public static func fill(_ template: String, _ slots: [String: String]) -> String {
    var out = ""
    out.reserveCapacity(template.utf8.count + slots.values.reduce(0) { $0 + $1.utf8.count })
    var rest = template[...]
    while let open = rest.range(of: "{{") {
      out += rest[..<open.lowerBound]
      guard let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex),
        let value = slots[String(rest[open.upperBound..<close.lowerBound])]
      else {
        out += "{{"
        rest = rest[open.upperBound...]
        continue
      }
      out += value
      rest = rest[close.upperBound...]
    }
    out += rest
    return out
  }

  /// JSON text made safe inside a `<script>` element: `<` (which JSON allows only inside strings) becomes
  /// `\u003c`, so no `</script`, `<!--` or `<script` can appear in the element's text.
  public static func jsonSafe(_ json: String) -> String { json.replacingOccurrences(of: "<", with: "\\u003c") }

  /// Script or style source made safe inside its element: `</tag` (any case) becomes `<\/tag` and `<!--`
  /// becomes `<\!--`, the same text to JavaScript (in strings, regular expressions and comments, the only
  /// places either can occur) and to CSS (a backslash escapes the next character), but not an end tag or
  /// the start of an HTML comment to the HTML parser.
  public static func scriptSafe(_ source: String, tag: String) -> String {
    // A backslash after the "<" of each match keeps the tag name's own case (the text must not change).
    var out = ""
    var rest = source[...]
    while let hit = rest.range(of: "</" + tag, options: .caseInsensitive) {
      out += rest[..<hit.lowerBound]
      out += "<\\"
      rest = rest[rest.index(after: hit.lowerBound)...]
    }
    out += rest
    return out.replacingOccurrences(of: "<!--", with: "<\\!--")
  }

  /// Text made safe as HTML element content and attribute values.
  public static func escapeHTML(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for ch in s {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(ch)
      }
    }
    return out
  }
}
