/// The viewer page: an HTML skeleton around the style (`ViewerStyle`), the data block
/// (`ViewerPayload`) and the script (`ViewerScript`). Kept in Swift rather than as bundle resources so
/// that the `simlayd` binary works when copied on its own.
enum ViewerTemplate {
  /// The whole page. `dataJSON` must already be safe inside `<script>` (see `ViewerPayload.scriptSafeJSON`).
  static func page(title: String, dataJSON: String) -> String {
    let title = escapeHTML(title)
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <meta name="generator" content="simlay export-html">
      <title>\(title)</title>
      <style>\(ViewerStyle.css)</style>
      </head>
      <body>
      <header>
      <h1 id="title">\(title)</h1>
      <p id="subtitle"></p>
      </header>
      <div id="status" class="status" role="status" aria-live="polite">Loading the maps…</div>
      <div id="layers" class="layers"></div>
      <div id="legend" class="legend" hidden></div>
      <main id="grid" class="grid"></main>
      <footer class="help">
      Move the mouse over any image: every tile shows how similar each of its patches is to the patch under
      the pointer (outlined in yellow), at each layer. Click (or press P) to pin the focus and read values
      under the cursor; arrow keys move the focus by one cell, [ and ] switch images, Esc unpins and clears
      the group highlight. Made with Simlay (interactive similarity overlays, Fong, Mordvintsev, Vedaldi and
      Olah, 2021).
      </footer>
      <script type="application/json" id="simlay-data">\(dataJSON)</script>
      <script>\(ViewerScript.js)</script>
      </body>
      </html>

      """
  }

  /// Text made safe as HTML element content and attribute values.
  static func escapeHTML(_ s: String) -> String {
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
