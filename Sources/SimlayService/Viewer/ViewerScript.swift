/// The viewer's script. It inflates each layer's quantised all-pairs triangle once, then on every focus
/// change recomputes each tile on the CPU with the daemon's overlay formulas (see OverlayBlending): mask
/// `image * (1 - opacity * (1 - v))`, colour maps `(1 - opacity) * image + opacity * table[floor(v * 256)]`,
/// rounded half up; nearest upsampling by the daemon's cell rule floor(p * H / size), bilinear with
/// pixel-centre sampling; the focus cell outlined in yellow inside ceil(...) bounds. Public API for
/// scripts: `window.simlay.hover(image, y, x[, layer])`, `valueAt(image, y, x[, layer])`, `state()`,
/// `selectGroup(g)`, and `ready` (a promise).
enum ViewerScript {
  static let js = #"""
(() => {
'use strict';
const D = JSON.parse(document.getElementById('simlay-data').textContent);
const N = D.images.length, L = D.layers.length;
const statusEl = document.getElementById('status');
const gridEl = document.getElementById('grid');
const legendEl = document.getElementById('legend');
const table = D.colormapTable || null;
const opacity = D.opacity, keep = 1 - D.opacity;
const offsets = D.layers.map(g => g.height * g.width);  // cells per image, per layer
const fmt = v => (v === null || !isFinite(v)) ? '–' : (Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(3));
let tri = [];          // per layer: Uint8Array of M(M+1)/2 codes
let base = [];         // per image: Uint8ClampedArray RGBA of the display image
let tiles = [];        // [layer][image] -> {canvas, ctx, out: ImageData}
let rowRange = [];     // per layer: [lo, hi] of the current display range
let rangeEls = [];
let focus = { image: 0, fy: 0.5, fx: 0.5, layer: 0 };
let cursor = { image: 0, fy: 0.5, fx: 0.5, layer: 0 };
let pinned = false, group = -1, loaded = false, lastKey = '';
let rows = [];         // per layer: Float32Array(N * H * W) of the focus's maps

document.getElementById('subtitle').textContent =
  `${D.model} · ${D.metric} similarity · ${D.colormap} · ${N} image${N === 1 ? '' : 's'} · ` +
  D.layers.map(g => `${g.name} (${g.height}×${g.width})`).join(', ');

function bytesOf(b64) {
  const bin = atob(b64), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
async function inflate(bytes) {
  if (typeof DecompressionStream === 'undefined') throw new Error('this browser lacks DecompressionStream (needs Chrome 80+, Firefox 113+ or Safari 16.4+)');
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
async function loadLayer(g) {
  const raw = bytesOf(g.data);
  const codes = g.encoding === 'deflate' ? await inflate(raw) : raw;
  if (codes.length !== g.length) throw new Error(`layer ${g.name}: ${codes.length} bytes of maps, expected ${g.length}`);
  return codes;
}
async function loadImage(img) {
  const el = new Image();
  el.src = img.src;
  await el.decode();
  const c = document.createElement('canvas');
  c.width = img.displayWidth; c.height = img.displayHeight;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(el, 0, 0);
  return ctx.getImageData(0, 0, c.width, c.height).data;
}

// Cell (y, x) of layer l under the normalised point (fy, fx): the daemon's floor(p * H / size) rule.
function cellOf(l, fy, fx) {
  const g = D.layers[l];
  return [Math.min(Math.max(Math.floor(fy * g.height), 0), g.height - 1), Math.min(Math.max(Math.floor(fx * g.width), 0), g.width - 1)];
}
function triIndex(a, b, m) { if (a > b) { const t = a; a = b; b = t; } return a * m - a * (a - 1) / 2 + (b - a); }
function decode(l, code) { const g = D.layers[l]; return g.low + code * (g.high - g.low) / 255; }

// The focus's maps over every image at layer l (one row of the all-pairs matrix).
function focusRow(l) {
  const g = D.layers[l], m = g.cells, plane = offsets[l];
  const [y, x] = cellOf(l, focus.fy, focus.fx);
  const a = focus.image * plane + y * g.width + x;
  const row = new Float32Array(m), codes = tri[l];
  for (let b = 0; b < m; b++) row[b] = decode(l, codes[triIndex(a, b, m)]);
  return row;
}
// The metric's natural range, as the daemon's renderer: cosine [0,1] ([-1,1] diverging), else min..max.
function rangeOf(row) {
  if (D.metric === 'cosine') return D.colormap === 'diverging' ? [-1, 1] : [0, 1];
  let lo = Infinity, hi = -Infinity;
  for (const v of row) { if (isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } }
  if (!isFinite(lo)) return [0, 1];
  if (D.colormap === 'diverging') { const m = Math.max(Math.abs(lo), Math.abs(hi)); lo = -m; hi = m; }
  return lo < hi ? [lo, hi] : [lo, lo + 1];
}

function blendPixel(o, s, v, i) {
  if (table === null) {
    const f = keep + opacity * v;
    o[i] = Math.floor(s[i] * f + 0.5); o[i + 1] = Math.floor(s[i + 1] * f + 0.5); o[i + 2] = Math.floor(s[i + 2] * f + 0.5);
  } else {
    const k = Math.min(Math.floor(v * 256), 255) * 3;
    o[i] = Math.floor(s[i] * keep + table[k] * opacity + 0.5);
    o[i + 1] = Math.floor(s[i + 1] * keep + table[k + 1] * opacity + 0.5);
    o[i + 2] = Math.floor(s[i + 2] * keep + table[k + 2] * opacity + 0.5);
  }
  o[i + 3] = 255;
}
// Bilinear sampling positions along one axis: pixel centres, clamped at the edges (Pillow's BILINEAR
// when enlarging).
function bilinearAxis(cells, pixels) {
  const i0 = new Int32Array(pixels), i1 = new Int32Array(pixels), t = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) {
    const s = Math.min(Math.max((p + 0.5) * cells / pixels - 0.5, 0), cells - 1);
    i0[p] = Math.floor(s); i1[p] = Math.min(i0[p] + 1, cells - 1); t[p] = s - i0[p];
  }
  return { i0, i1, t };
}
function drawOutline(o, w, h, gy, gx, gh, gw) {
  const x0 = Math.floor((gx * w + gw - 1) / gw), x1 = Math.floor(((gx + 1) * w + gw - 1) / gw);
  const y0 = Math.floor((gy * h + gh - 1) / gh), y1 = Math.floor(((gy + 1) * h + gh - 1) / gh);
  const t = Math.min(w, h) < 64 ? 1 : 2;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
    if (y < y0 + t || y >= y1 - t || x < x0 + t || x >= x1 - t) { const i = (y * w + x) * 4; o[i] = 255; o[i + 1] = 255; o[i + 2] = 0; o[i + 3] = 255; }
  }
}
"""# + ViewerScriptDraw.js
}
