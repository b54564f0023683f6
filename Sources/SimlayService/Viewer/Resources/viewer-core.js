/* Simlay viewer, pure part 1 of 2: the embedded data, cell <-> pixel maths and the pixels of a tile. No
   DOM: node's test runner requires this file (Tests/js), the page includes it inline as the global
   SimlayViewerCore before viewer-state.js and viewer.js.
   The formulas are the daemon's (see OverlayBlending and the README): mask
   image * (1 - opacity * (1 - v)); colour maps (1 - opacity) * image + opacity * table[floor(v * 256)],
   rounded half up; nearest upsampling by the cell rule floor(p * H / size), bilinear with pixel-centre
   sampling; the focus cell outlined in yellow inside ceil(...) bounds. The browser test compares
   screenshot pixels with them, so every product is computed in the same order as the daemon. */
(function (root, factory) {
  'use strict';
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.SimlayViewerCore = factory();
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  /** The page's data block (ViewerPayload, version 1), parsed and checked for what the script reads. */
  function parsePayload(text) {
    let d;
    try { d = JSON.parse(text); } catch (e) { throw new Error(`the page's data block is not JSON (${e.message})`); }
    if (d === null || typeof d !== 'object') throw new Error("the page's data block is not an object");
    if (d.version !== 1) throw new Error(`the page's data is version ${d.version}; this script reads version 1`);
    if (!Array.isArray(d.images) || d.images.length === 0) throw new Error("the page's data has no images");
    if (!Array.isArray(d.layers) || d.layers.length === 0) throw new Error("the page's data has no layers");
    return d;
  }

  /** Bytes of a base64 string. */
  function bytesOf(b64) {
    const bin = atob(b64), out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  /** zlib-format (RFC 1950) bytes inflated with the platform's DecompressionStream. */
  async function inflate(bytes) {
    if (typeof DecompressionStream === 'undefined') {
      throw new Error('this browser lacks DecompressionStream (needs Chrome 80+, Firefox 113+ or Safari 16.4+)');
    }
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  /** A layer's M(M+1)/2 codes of the packed triangle ("deflate" or "raw" encoding), length checked. */
  async function layerCodes(g) {
    const raw = bytesOf(g.data);
    let codes;
    if (g.encoding === 'deflate') codes = await inflate(raw);
    else if (g.encoding === 'raw') codes = raw;
    else throw new Error(`layer ${g.name}: unknown encoding '${g.encoding}' (expected deflate or raw)`);
    if (codes.length !== g.length) throw new Error(`layer ${g.name}: ${codes.length} bytes of maps, expected ${g.length}`);
    return codes;
  }

  /** Cell [y, x] of grid g under the normalised point (fy, fx) in [0, 1): floor(f * size), clamped. */
  function cellOf(g, fy, fx) {
    return [Math.min(Math.max(Math.floor(fy * g.height), 0), g.height - 1),
            Math.min(Math.max(Math.floor(fx * g.width), 0), g.width - 1)];
  }
  /** The normalised point at the centre of cell (y, x) of grid g. */
  function centreOf(g, y, x) { return { fy: (y + 0.5) / g.height, fx: (x + 0.5) / g.width }; }
  /** The normalised point [fy, fx] of a pointer at (clientX, clientY) over a box {left, top, width, height}. */
  function pointIn(rect, clientX, clientY) {
    const fx = (clientX - rect.left) / rect.width, fy = (clientY - rect.top) / rect.height;
    return [Math.min(Math.max(fy, 0), 0.999999), Math.min(Math.max(fx, 0), 0.999999)];
  }
  /** Number of cell (y, x) of image i among the M = N*H*W cells: image-major, then y, then x. */
  function cellIndex(g, i, y, x) { return i * g.height * g.width + y * g.width + x; }
  /** Position of entry (a, b), either order, in the packed upper triangle (row-major) of an M-cell matrix. */
  function triIndex(a, b, m) { if (a > b) { const t = a; a = b; b = t; } return a * m - a * (a - 1) / 2 + (b - a); }
  /** The value of code q in layer g: low + q * (high - low) / 255. */
  function decodeCode(g, q) { return g.low + q * (g.high - g.low) / 255; }
  /** Similarity of cells a and b (cell numbers) of layer g. */
  function valueOf(g, codes, a, b) { return decodeCode(g, codes[triIndex(a, b, g.cells)]); }
  /** One row of the all-pairs matrix: cell a's maps over every image, Float32Array of M values. */
  function focusRow(g, codes, a) {
    const m = g.cells, row = new Float32Array(m);
    for (let b = 0; b < m; b++) row[b] = decodeCode(g, codes[triIndex(a, b, m)]);
    return row;
  }

  /** The display range of a row, as the daemon's renderer: cosine [0, 1] ([-1, 1] diverging), else
   *  min..max of the finite values (symmetric about 0 when diverging; [lo, lo + 1] when flat). */
  function rangeOf(row, metric, colormap) {
    if (metric === 'cosine') return colormap === 'diverging' ? [-1, 1] : [0, 1];
    let lo = Infinity, hi = -Infinity;
    for (const v of row) { if (isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } }
    if (!isFinite(lo)) return [0, 1];
    if (colormap === 'diverging') { const m = Math.max(Math.abs(lo), Math.abs(hi)); lo = -m; hi = m; }
    return lo < hi ? [lo, hi] : [lo, lo + 1];
  }
  /** `count` values of `row` from `offset` mapped to [0, 1] over [lo, hi] (clamped; non-finite -> 0). */
  function normalise(row, offset, count, lo, hi) {
    const n = new Float32Array(count), span = hi - lo;
    for (let c = 0; c < count; c++) { const v = row[offset + c]; n[c] = isFinite(v) ? Math.min(Math.max((v - lo) / span, 0), 1) : 0; }
    return n;
  }

  /** How pixels are blended: `table` (256 RGB bytes, or null for the mask) and `opacity`. */
  function styleOf(d) { return { table: d.colormapTable || null, opacity: d.opacity, keep: 1 - d.opacity }; }
  /** Offset of v's RGB entry in a 256-entry colour table: matplotlib's bin floor(v * 256), 1 in bin 255. */
  function tableOffset(v) { return Math.min(Math.max(Math.floor(v * 256), 0), 255) * 3; }
  /** Writes pixel i (RGBA offset) of `o`: the value v in [0, 1] blended over source pixel i of `s`. */
  function blendPixel(o, s, v, i, style) {
    const table = style.table, opacity = style.opacity, keep = style.keep;
    if (table === null) {
      const f = keep + opacity * v;
      o[i] = Math.floor(s[i] * f + 0.5); o[i + 1] = Math.floor(s[i + 1] * f + 0.5); o[i + 2] = Math.floor(s[i + 2] * f + 0.5);
    } else {
      const k = tableOffset(v);
      o[i] = Math.floor(s[i] * keep + table[k] * opacity + 0.5);
      o[i + 1] = Math.floor(s[i + 1] * keep + table[k + 1] * opacity + 0.5);
      o[i + 2] = Math.floor(s[i + 2] * keep + table[k + 2] * opacity + 0.5);
    }
    o[i + 3] = 255;
  }
  /** Bilinear sampling positions along one axis: pixel centres, clamped at the edges (Pillow's BILINEAR
   *  when enlarging). i0/i1 are the two cells, t the weight of i1. */
  function bilinearAxis(cells, pixels) {
    const i0 = new Int32Array(pixels), i1 = new Int32Array(pixels), t = new Float32Array(pixels);
    for (let p = 0; p < pixels; p++) {
      const s = Math.min(Math.max((p + 0.5) * cells / pixels - 0.5, 0), cells - 1);
      i0[p] = Math.floor(s); i1[p] = Math.min(i0[p] + 1, cells - 1); t[p] = s - i0[p];
    }
    return { i0, i1, t };
  }
  /** Shades a w x h tile `o` from source `s` and normalised cell values `n` of grid g; `axes` = {ay, ax}
   *  of bilinearAxis for bilinear upsampling, null for nearest. */
  function shadeTile(o, s, n, g, w, h, style, axes) {
    if (axes) {
      const { ay, ax } = axes;
      for (let y = 0; y < h; y++) {
        const r0 = ay.i0[y] * g.width, r1 = ay.i1[y] * g.width, ty = ay.t[y];
        for (let x = 0; x < w; x++) {
          const c0 = ax.i0[x], c1 = ax.i1[x], tx = ax.t[x];
          const v = (1 - ty) * ((1 - tx) * n[r0 + c0] + tx * n[r0 + c1]) + ty * ((1 - tx) * n[r1 + c0] + tx * n[r1 + c1]);
          blendPixel(o, s, v, (y * w + x) * 4, style);
        }
      }
    } else {
      for (let y = 0; y < h; y++) {
        const r = Math.floor(y * g.height / h) * g.width;
        for (let x = 0; x < w; x++) blendPixel(o, s, n[r + Math.floor(x * g.width / w)], (y * w + x) * 4, style);
      }
    }
  }
  /** The pixel box [x0, x1) x [y0, y1) of cell (gy, gx) of a gh x gw grid on a w x h tile (first pixel
   *  whose cell is it: ceil), and the outline's thickness t (1 on tiles under 64 pixels, else 2). */
  function outlineBox(w, h, gy, gx, gh, gw) {
    return { x0: Math.floor((gx * w + gw - 1) / gw), x1: Math.floor(((gx + 1) * w + gw - 1) / gw),
             y0: Math.floor((gy * h + gh - 1) / gh), y1: Math.floor(((gy + 1) * h + gh - 1) / gh),
             t: Math.min(w, h) < 64 ? 1 : 2 };
  }
  /** Draws the outline of box b into the w-pixel-wide RGBA tile `o`: yellow (the focus), or `rgb`
   *  ([0, 255, 255], cyan, for top-K matches, as the daemon's boxes). */
  function drawOutline(o, w, b, rgb = [255, 255, 0]) {
    for (let y = b.y0; y < b.y1; y++) for (let x = b.x0; x < b.x1; x++) {
      if (y < b.y0 + b.t || y >= b.y1 - b.t || x < b.x0 + b.t || x >= b.x1 - b.t) {
        const i = (y * w + x) * 4; o[i] = rgb[0]; o[i + 1] = rgb[1]; o[i + 2] = rgb[2]; o[i + 3] = 255;
      }
    }
  }
  /** The k largest values of `row` (a focus row: N maps of grid g, image-major), as the daemon's top_k:
   *  [{image, y, x, value}] in decreasing value, ties by the lower image, then y, then x (the lower cell
   *  number); NaN never matches. `exclude` = {image, y0, x0, y1, x1, radius} leaves out the cells of that
   *  image within Chebyshev distance `radius` of the rectangle (end exclusive), or null. */
  function topMatches(row, g, k, exclude) {
    const plane = g.height * g.width, best = [];
    if (!(k > 0)) return best;
    for (let c = 0; c < row.length; c++) {
      const v = row[c];
      if (v !== v) continue;
      const image = Math.floor(c / plane), y = Math.floor((c % plane) / g.width), x = c % g.width;
      if (exclude && image === exclude.image) {
        const dy = Math.max(exclude.y0 - y, 0, y - (exclude.y1 - 1)), dx = Math.max(exclude.x0 - x, 0, x - (exclude.x1 - 1));
        if (Math.max(dy, dx) <= exclude.radius) continue;
      }
      // Cells come in increasing number, so a later cell only displaces a strictly smaller value.
      if (best.length === k && !(v > best[k - 1].value)) continue;
      let at = best.length;
      while (at > 0 && v > best[at - 1].value) at--;
      best.splice(at, 0, { image, y, x, value: v });
      if (best.length > k) best.pop();
    }
    return best;
  }
  /** [r, g, b] of a "#rrggbb" colour. */
  function hexRGB(hex) {
    if (!/^#[0-9a-fA-F]{6}$/.test(hex)) throw new Error(`colour '${hex}' is not #rrggbb`);
    const v = parseInt(hex.slice(1), 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  /** Shades image i's tile with NMF group `group`: its positions in the group's colour, opacity 0.9 x
   *  strength (a byte), every other position dimmed to 35% so the group stands out. */
  function shadeGroup(o, s, nmf, i, group, w, h) {
    const col = hexRGB(nmf.palette[group % nmf.palette.length]), plane = nmf.height * nmf.width;
    for (let y = 0; y < h; y++) {
      const r = Math.floor(y * nmf.height / h) * nmf.width;
      for (let x = 0; x < w; x++) {
        const c = i * plane + r + Math.floor(x * nmf.width / w), p = (y * w + x) * 4;
        if (nmf.groups[c] === group) {
          const a = 0.9 * nmf.strength[c] / 255;
          for (let k = 0; k < 3; k++) o[p + k] = Math.floor(s[p + k] * (1 - a) + col[k] * a + 0.5);
        } else {
          for (let k = 0; k < 3; k++) o[p + k] = Math.floor(s[p + k] * 0.35 + 0.5);
        }
        o[p + 3] = 255;
      }
    }
  }
  /** RGBA pixels of a colour scale `width` pixels wide: 0..1 blended over white. */
  function colourBar(style, width) {
    const d = new Uint8ClampedArray(width * 4), white = new Uint8ClampedArray(width * 4).fill(255);
    for (let x = 0; x < width; x++) blendPixel(d, white, width > 1 ? x / (width - 1) : 0, x * 4, style);
    return d;
  }

  return { parsePayload, bytesOf, inflate, layerCodes, cellOf, centreOf, pointIn, cellIndex, triIndex, decodeCode,
           valueOf, focusRow, rangeOf, normalise, styleOf, tableOffset, blendPixel, bilinearAxis, shadeTile,
           outlineBox, drawOutline, topMatches, hexRGB, shadeGroup, colourBar };
});
