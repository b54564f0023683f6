/// The viewer's CSS. Every box that sits above or beside a tile has an integer pixel height or width,
/// so that tiles land on whole pixels: the browser then copies each canvas 1:1 to the screen, and a
/// screenshot shows exactly the pixels the script computed (the browser test relies on it).
enum ViewerStyle {
  static let css = #"""
:root { --bg: #f5f4f0; --fg: #1d1d1f; --muted: #6a6a70; --card: #ffffff; --line: #dedcd6; --accent: #c99a00; }
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--fg); }
body { padding: 24px 32px 32px; font: 14px/20px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
header h1 { margin: 0 0 4px; font-size: 22px; line-height: 28px; height: 28px; font-weight: 650; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#subtitle { margin: 0 0 12px; height: 20px; color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.status { position: sticky; top: 0; z-index: 2; height: 40px; margin: 0 0 12px; padding: 9px 14px; background: var(--card);
  border: 1px solid var(--line); border-radius: 8px; box-shadow: 0 1px 2px rgba(0,0,0,.05); font-variant-numeric: tabular-nums;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.status b { font-weight: 600; }
.status .value { display: inline-block; min-width: 64px; padding: 0 6px; border-radius: 4px; background: #fff6cc; font-weight: 600; }
.status .pin { color: var(--accent); font-weight: 600; }
.status.error { background: #fde8e8; border-color: #f0b4b4; color: #8a1c1c; }
.legend { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 0 0 12px; }
.legend[hidden] { display: none; }
.legend .caption { height: 28px; line-height: 28px; color: var(--muted); margin-right: 4px; }
.legend button { height: 28px; padding: 0 10px; border: 1px solid var(--line); border-radius: 14px; background: var(--card);
  font: inherit; font-size: 13px; line-height: 26px; cursor: pointer; display: inline-flex; align-items: center; gap: 6px; }
.legend button:hover { border-color: #aaa; }
.legend button[aria-pressed="true"] { border-color: var(--fg); box-shadow: inset 0 0 0 1px var(--fg); }
.legend .swatch { width: 12px; height: 12px; border-radius: 3px; display: inline-block; }
.legend small { color: var(--muted); }
.layers { display: flex; flex-wrap: wrap; gap: 8px 20px; margin: 0 0 14px; }
.layer { display: flex; align-items: center; gap: 8px; height: 24px; font-size: 13px; }
.layer .name { font-weight: 600; }
.layer .dims { color: var(--muted); }
.layer canvas { width: 128px; height: 12px; border: 1px solid var(--line); border-radius: 2px; }
.layer .range { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
.grid { display: flex; flex-wrap: wrap; gap: 20px 16px; align-items: flex-start; }
.card { margin: 0; }
.card figcaption { height: 20px; margin-bottom: 4px; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.tilelabel { height: 18px; font-size: 12px; line-height: 18px; color: var(--muted); }
.card canvas { display: block; margin-bottom: 8px; cursor: crosshair; box-shadow: 0 1px 3px rgba(0,0,0,.18); }
.help { margin-top: 20px; max-width: 900px; color: var(--muted); font-size: 13px; }
"""#
}
