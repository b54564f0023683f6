// The live notebook widget's front end (an anywidget ES module; the kernel side is _widget.py/_live.py).
// One row of tiles per layer, one tile per image. Hovering a tile sends {type: "hover", seq, image, layer,
// y, x} (a cell of that row's grid) when the cell changes; the kernel answers {type: "maps", seq, image,
// rows: [{row, layer, y, x}]} with one binary frame per row: uint32 LE seq, n, h, w, then n*h*w float32
// LE maps (live-core.js's frame). Tiles are shaded with the static viewer's formulas (viewer-core.js):
// mask image * (1 - opacity * (1 - v)), colormaps (1 - opacity) * image + opacity * table[floor(v * 256)].
// Click pins the query (and unpins), arrow keys move it, Esc unpins. Pure functions are exported for
// node's tests (Tests/js/widget.test.js).

/** Cell {y, x} of an h x w grid under the pointer over a tile drawn in rect; null outside the tile. */
export function cellAt(rect, clientX, clientY, h, w) {
  const fx = (clientX - rect.left) / rect.width, fy = (clientY - rect.top) / rect.height;
  if (!(fx >= 0 && fx < 1 && fy >= 0 && fy < 1)) return null;
  return { y: Math.min(Math.floor(fy * h), h - 1), x: Math.min(Math.floor(fx * w), w - 1) };
}

/** The cell an arrow key moves to, clamped to the grid; other keys leave it. */
export function stepCell(cell, key, h, w) {
  const d = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[key];
  if (!d) return cell;
  return { y: Math.min(Math.max(cell.y + d[0], 0), h - 1), x: Math.min(Math.max(cell.x + d[1], 0), w - 1) };
}

/** A map frame (ArrayBuffer, DataView or typed array): {seq, n, h, w, maps: Float32Array}; throws naming
 *  the sizes on a frame of the wrong length. */
export function decodeFrame(buffer) {
  const v = buffer instanceof DataView ? buffer : ArrayBuffer.isView(buffer)
    ? new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new DataView(buffer);
  if (v.byteLength < 16) throw new Error(`map frame of ${v.byteLength} bytes; the header needs 16`);
  const seq = v.getUint32(0, true), n = v.getUint32(4, true), h = v.getUint32(8, true), w = v.getUint32(12, true);
  if (v.byteLength !== 16 + 4 * n * h * w) throw new Error(`map frame of ${v.byteLength} bytes; ${n}x${h}x${w} needs ${16 + 4 * n * h * w}`);
  const maps = new Float32Array(n * h * w);
  for (let i = 0; i < maps.length; i++) maps[i] = v.getFloat32(16 + 4 * i, true);
  return { seq, n, h, w, maps };
}

/** The range mapped onto the colours, as the daemon's renderer: `fixed` when given; cosine [0, 1]
 *  ([-1, 1] diverging); else min..max of the finite values (symmetric when diverging, [lo, lo + 1] flat). */
export function displayRange(values, metric, colormap, fixed) {
  if (fixed && fixed.length === 2) return fixed;
  if (metric === 'cosine') return colormap === 'diverging' ? [-1, 1] : [0, 1];
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!isFinite(lo)) return [0, 1];
  if (colormap === 'diverging') { const m = Math.max(-lo, hi); lo = -m; hi = m; }
  return lo < hi ? [lo, hi] : [lo, lo + 1];
}

/** Shades a w x h RGBA tile `out` from source pixels `src` and the gh x gw map `values` (range [lo, hi]):
 *  nearest cells (floor(p * cells / size)) or bilinear at pixel centres (weights rounded to float32, as
 *  viewer-core.js keeps them). style = {table (768 bytes or empty for the mask), opacity, upsample}. */
export function shadeTile(out, src, values, gh, gw, w, h, lo, hi, style) {
  const n = Float32Array.from(values, (v) => (isFinite(v) ? Math.min(Math.max((v - lo) / (hi - lo), 0), 1) : 0));
  const op = style.opacity, keep = 1 - op, table = style.table && style.table.length ? style.table : null;
  const at = (a, cells, pixels) => Math.min(Math.max((a + 0.5) * cells / pixels - 0.5, 0), cells - 1);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    let v;
    if (style.upsample === 'bilinear') {
      const sy = at(y, gh, h), sx = at(x, gw, w), y0 = Math.floor(sy), x0 = Math.floor(sx);
      const y1 = Math.min(y0 + 1, gh - 1), x1 = Math.min(x0 + 1, gw - 1), ty = Math.fround(sy - y0), tx = Math.fround(sx - x0);
      v = (1 - ty) * ((1 - tx) * n[y0 * gw + x0] + tx * n[y0 * gw + x1]) + ty * ((1 - tx) * n[y1 * gw + x0] + tx * n[y1 * gw + x1]);
    } else v = n[Math.floor(y * gh / h) * gw + Math.floor(x * gw / w)];
    const i = (y * w + x) * 4, k = Math.min(Math.max(Math.floor(v * 256), 0), 255) * 3;
    for (let c = 0; c < 3; c++) {
      out[i + c] = table ? Math.floor(src[i + c] * keep + table[k + c] * op + 0.5) : Math.floor(src[i + c] * (keep + op * v) + 0.5);
    }
    out[i + 3] = 255;
  }
}

const CSS = `.simlay-live{font:13px sans-serif;outline:none}.simlay-live .row{display:flex;gap:6px;flex-wrap:wrap;margin:4px 0}
.simlay-live canvas{cursor:crosshair;display:block}.simlay-live .label{font-weight:bold;margin-top:6px}
.simlay-live .error{color:#b00020}.simlay-live figure{margin:0}.simlay-live figcaption{font-size:11px;color:#555}`;

function render({ model, el }) {
  const images = model.get('images'), layers = model.get('layers');
  const root = document.createElement('div'), status = document.createElement('div');
  root.className = 'simlay-live'; root.tabIndex = 0;
  root.innerHTML = `<style>${CSS}</style>`;
  if (model.get('title')) root.append(Object.assign(document.createElement('h3'), { textContent: model.get('title') }));
  root.append(status);
  let seq = 0, focus = null, pinned = false, last = null, shown = null;
  const tiles = layers.map((g, row) => {
    root.append(Object.assign(document.createElement('div'), { className: 'label', textContent: `${g.name} (${g.height} x ${g.width})` }));
    const line = Object.assign(document.createElement('div'), { className: 'row' });
    root.append(line);
    return images.map((im, image) => {
      const fig = document.createElement('figure'), canvas = document.createElement('canvas');
      canvas.width = im.width; canvas.height = im.height;
      fig.append(canvas, Object.assign(document.createElement('figcaption'), { textContent: im.name }));
      line.append(fig);
      canvas.addEventListener('mousemove', (e) => { if (!pinned) hoverAt(e, row, image); });
      canvas.addEventListener('click', (e) => { pinned = !pinned; if (pinned) hoverAt(e, row, image); show(); });
      return { canvas, ctx: canvas.getContext('2d'), src: null };
    });
  });
  images.forEach((im, image) => {
    const picture = new Image();
    picture.onload = () => {
      for (const row of tiles) {
        const tile = row[image];
        tile.ctx.drawImage(picture, 0, 0, im.width, im.height);
        tile.src = tile.ctx.getImageData(0, 0, im.width, im.height).data.slice();
      }
      repaint();  // an answer that came before this picture: shade it now
    };
    picture.src = im.src;
  });
  const help = 'Hover an image: every tile shows how similar its patches are to the one under the pointer. Click pins, arrow keys move, Esc unpins.';
  function show() {
    const error = model.get('error');
    status.className = error ? 'error' : '';
    status.textContent = error || (focus ? `image ${focus.image}, ${layers[focus.layer].name} cell (${focus.y}, ${focus.x})${pinned ? ' (pinned)' : ''}` : help);
  }
  function send(f) {
    if (focus && f.image === focus.image && f.layer === focus.layer && f.y === focus.y && f.x === focus.x) return;
    focus = f;
    model.send({ type: 'hover', seq: ++seq, ...f });
    show();
  }
  function hoverAt(e, row, image) {
    const g = layers[row];  // a row of an unknown layer has no grid (0 x 0): the error says so already
    const c = g.height && g.width ? cellAt(e.target.getBoundingClientRect(), e.clientX, e.clientY, g.height, g.width) : null;
    if (c) send({ image, layer: row, y: c.y, x: c.x });
  }
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { pinned = false; show(); return; }
    if (!focus || !e.key.startsWith('Arrow')) return;
    e.preventDefault();
    const g = layers[focus.layer], c = stepCell(focus, e.key, g.height, g.width);
    pinned = true;
    send({ image: focus.image, layer: focus.layer, y: c.y, x: c.x });
  });
  model.on('msg:custom', (msg, buffers) => {
    if (msg.type !== 'maps' || (last !== null && msg.seq < last)) return;  // an answer overtaken by a newer one
    last = msg.seq;
    shown = { msg, frames: buffers.map(decodeFrame) };
    repaint();
  });
  function repaint() {
    if (shown) shown.msg.rows.forEach((r, k) => paint(tiles[r.row], shown.frames[k], shown.msg.image, r));
  }
  function paint(row, f, focusImage, r) {
    const [lo, hi] = displayRange(f.maps, model.get('metric'), model.get('colormap'), model.get('value_range'));
    const style = { table: model.get('table'), opacity: model.get('opacity'), upsample: model.get('upsample') };
    row.forEach((t, i) => {
      if (!t.src) return;
      const { width: w, height: h } = t.canvas, out = t.ctx.createImageData(w, h);
      shadeTile(out.data, t.src, f.maps.subarray(i * f.h * f.w, (i + 1) * f.h * f.w), f.h, f.w, w, h, lo, hi, style);
      t.ctx.putImageData(out, 0, 0);
      if (i === focusImage) {
        t.ctx.strokeStyle = '#ffff00'; t.ctx.lineWidth = 2;
        t.ctx.strokeRect(r.x * w / f.w + 1, r.y * h / f.h + 1, w / f.w - 2, h / f.h - 2);
      }
    });
  }
  model.on('change:error', show);
  show();
  el.append(root);
  return () => root.remove();
}

export default { render };
