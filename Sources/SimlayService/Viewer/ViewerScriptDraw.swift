/// The second half of the viewer's script (see `ViewerScript`): drawing the tiles, the layout, the NMF
/// legend, mouse and keyboard handling, and the `window.simlay` API.
enum ViewerScriptDraw {
  static let js = #"""
function drawTile(l, i) {
  const g = D.layers[l], img = D.images[i], t = tiles[l][i];
  const w = img.displayWidth, h = img.displayHeight, o = t.out.data, s = base[i];
  const [lo, hi] = rowRange[l], span = hi - lo;
  const row = rows[l], off = i * offsets[l];
  if (group >= 0) {
    drawGroup(o, s, i, w, h);
  } else {
    const n = new Float32Array(offsets[l]);
    for (let c = 0; c < n.length; c++) { const v = row[off + c]; n[c] = isFinite(v) ? Math.min(Math.max((v - lo) / span, 0), 1) : 0; }
    if (D.upsample === 'bilinear') {
      const ay = t.ay || (t.ay = bilinearAxis(g.height, h)), ax = t.ax || (t.ax = bilinearAxis(g.width, w));
      for (let y = 0; y < h; y++) {
        const r0 = ay.i0[y] * g.width, r1 = ay.i1[y] * g.width, ty = ay.t[y];
        for (let x = 0; x < w; x++) {
          const c0 = ax.i0[x], c1 = ax.i1[x], tx = ax.t[x];
          const v = (1 - ty) * ((1 - tx) * n[r0 + c0] + tx * n[r0 + c1]) + ty * ((1 - tx) * n[r1 + c0] + tx * n[r1 + c1]);
          blendPixel(o, s, v, (y * w + x) * 4);
        }
      }
    } else {
      for (let y = 0; y < h; y++) {
        const r = Math.floor(y * g.height / h) * g.width;
        for (let x = 0; x < w; x++) blendPixel(o, s, n[r + Math.floor(x * g.width / w)], (y * w + x) * 4);
      }
    }
  }
  if (i === focus.image) { const [fy, fx] = cellOf(l, focus.fy, focus.fx); drawOutline(o, w, h, fy, fx, g.height, g.width); }
  t.ctx.putImageData(t.out, 0, 0);
}
// The selected NMF group: its positions coloured by the group's colour, opacity by strength; every
// other position dimmed so the group stands out.
function drawGroup(o, s, i, w, h) {
  const f = D.nmf, col = hexRGB(f.palette[group % f.palette.length]), plane = f.height * f.width;
  for (let y = 0; y < h; y++) {
    const r = Math.floor(y * f.height / h) * f.width;
    for (let x = 0; x < w; x++) {
      const c = i * plane + r + Math.floor(x * f.width / w), p = (y * w + x) * 4;
      if (f.groups[c] === group) {
        const a = 0.9 * f.strength[c] / 255;
        for (let k = 0; k < 3; k++) o[p + k] = Math.floor(s[p + k] * (1 - a) + col[k] * a + 0.5);
      } else {
        for (let k = 0; k < 3; k++) o[p + k] = Math.floor(s[p + k] * 0.35 + 0.5);
      }
      o[p + 3] = 255;
    }
  }
}
function hexRGB(hex) { const v = parseInt(hex.slice(1), 16); return [(v >> 16) & 255, (v >> 8) & 255, v & 255]; }

function focusKey() { return D.layers.map((g, l) => cellOf(l, focus.fy, focus.fx).join(',')).join(';') + `|${focus.image}|${group}`; }
function render(force) {
  if (!loaded) return;
  const key = focusKey();
  if (force || key !== lastKey) {
    lastKey = key;
    for (let l = 0; l < L; l++) {
      rows[l] = focusRow(l);
      rowRange[l] = rangeOf(rows[l]);
      rangeEls[l][0].textContent = fmt(rowRange[l][0]); rangeEls[l][1].textContent = fmt(rowRange[l][1]);
      for (let i = 0; i < N; i++) drawTile(l, i);
    }
  }
  showStatus();
}
function showStatus() {
  const name = i => escapeText(D.images[i].name);
  const cells = D.layers.map((g, l) => { const [y, x] = cellOf(l, focus.fy, focus.fx); return `${escapeText(g.name)} (${y}, ${x})`; }).join(' · ');
  const l = cursor.layer, [cy, cx] = cellOf(l, cursor.fy, cursor.fx);
  const v = valueAt(cursor.image, cy, cx, l);
  let text = `${pinned ? '<span class="pin">Pinned</span> focus' : 'Focus'}: <b>${name(focus.image)}</b> · ${cells}` +
    ` — under the cursor: <b>${name(cursor.image)}</b> ${escapeText(D.layers[l].name)} (${cy}, ${cx}) <span class="value">${fmt(v)}</span>`;
  if (group >= 0) text += ` — showing NMF group ${group + 1}`;
  statusEl.innerHTML = text;
}
function escapeText(s) { const d = document.createElement('span'); d.textContent = s; return d.innerHTML; }

function point(ev, canvas) {
  const r = canvas.getBoundingClientRect();
  const fx = (ev.clientX - r.left) / r.width, fy = (ev.clientY - r.top) / r.height;
  return [Math.min(Math.max(fy, 0), 0.999999), Math.min(Math.max(fx, 0), 0.999999)];
}
function colourBar(l) {
  const c = document.createElement('canvas'); c.width = 128; c.height = 1;
  const ctx = c.getContext('2d'), d = ctx.createImageData(128, 1), white = new Uint8ClampedArray(128 * 4).fill(255);
  for (let x = 0; x < 128; x++) blendPixel(d.data, white, x / 127, x * 4);
  ctx.putImageData(d, 0, 0);
  return c;
}
function layout() {
  // Layers: one chip each above the images, with its grid and colour scale.
  const bar = document.getElementById('layers');
  D.layers.forEach((g, l) => {
    const chip = document.createElement('div'); chip.className = 'layer';
    chip.innerHTML = '<span class="name"></span><span class="dims"></span><span class="range"><span></span></span><span class="range"><span></span></span>';
    chip.children[0].textContent = g.name;
    chip.children[1].textContent = `${g.height}×${g.width}×${g.channels}`;
    chip.insertBefore(colourBar(l), chip.children[3]);
    rangeEls[l] = [chip.children[2].firstChild, chip.children[4].firstChild];
    bar.appendChild(chip);
  });
  // Images: one card each (wrapping), holding one tile per layer, top to bottom.
  const cards = D.images.map((im, i) => {
    const card = document.createElement('figure'); card.className = 'card'; card.style.width = im.displayWidth + 'px';
    const cap = document.createElement('figcaption'); cap.textContent = im.name; cap.title = `${im.name} (${im.width}×${im.height})`;
    card.appendChild(cap); gridEl.appendChild(card);
    return card;
  });
  D.layers.forEach((g, l) => {
    tiles[l] = D.images.map((im, i) => {
      const label = document.createElement('div'); label.className = 'tilelabel'; label.textContent = g.name;
      if (L > 1) cards[i].appendChild(label);
      const canvas = document.createElement('canvas'); canvas.width = im.displayWidth; canvas.height = im.displayHeight;
      canvas.style.width = im.displayWidth + 'px'; canvas.style.height = im.displayHeight + 'px';
      canvas.dataset.image = i; canvas.dataset.layer = l;
      canvas.setAttribute('aria-label', `${im.name}, ${g.name}`);
      const ctx = canvas.getContext('2d');
      canvas.addEventListener('mousemove', ev => {
        const [fy, fx] = point(ev, canvas);
        cursor = { image: i, fy, fx, layer: l };
        if (!pinned) focus = { image: i, fy, fx, layer: l };
        render(false);
      });
      canvas.addEventListener('click', ev => {
        const [fy, fx] = point(ev, canvas);
        pinned = !pinned; cursor = { image: i, fy, fx, layer: l };
        if (pinned) focus = { image: i, fy, fx, layer: l };
        render(false);
      });
      cards[i].appendChild(canvas);
      return { canvas, ctx, out: ctx.createImageData(im.displayWidth, im.displayHeight) };
    });
  });
  if (D.nmf) legend();
}
function legend() {
  const f = D.nmf, counts = new Array(f.k).fill(0);
  for (const g of f.groups) if (g >= 0 && g < f.k) counts[g]++;
  legendEl.hidden = false;
  const cap = document.createElement('span'); cap.className = 'caption';
  cap.textContent = `NMF groups at ${f.layer} (k = ${f.k}, relative error ${f.relativeError.toFixed(3)}); click one to highlight it:`;
  legendEl.appendChild(cap);
  for (let g = 0; g < f.k; g++) {
    const b = document.createElement('button'); b.type = 'button'; b.dataset.group = g; b.setAttribute('aria-pressed', 'false');
    b.innerHTML = `<span class="swatch" style="background:${f.palette[g % f.palette.length]}"></span>Group ${g + 1} <small>${counts[g]}</small>`;
    b.addEventListener('click', () => selectGroup(group === g ? -1 : g));
    legendEl.appendChild(b);
  }
}
function selectGroup(g) {
  if (!D.nmf) throw new Error('this page has no NMF groups (export with --nmf K)');
  if (!(Number.isInteger(g) && g >= -1 && g < D.nmf.k)) throw new RangeError(`group ${g} is outside -1..${D.nmf.k - 1}`);
  group = g;
  legendEl.querySelectorAll('button').forEach(b => b.setAttribute('aria-pressed', String(Number(b.dataset.group) === g)));
  render(true);
}

function checkCell(i, y, x, l) {
  if (!(Number.isInteger(i) && i >= 0 && i < N)) throw new RangeError(`image ${i} is outside 0..${N - 1}`);
  if (!(Number.isInteger(l) && l >= 0 && l < L)) throw new RangeError(`layer ${l} is outside 0..${L - 1}`);
  const g = D.layers[l];
  if (!(Number.isInteger(y) && Number.isInteger(x) && y >= 0 && y < g.height && x >= 0 && x < g.width)) {
    throw new RangeError(`cell (${y}, ${x}) is outside layer ${g.name}'s ${g.height}×${g.width} grid`);
  }
}
function hover(i, y, x, l = 0) {
  checkCell(i, y, x, l);
  const g = D.layers[l];
  focus = { image: i, fy: (y + 0.5) / g.height, fx: (x + 0.5) / g.width, layer: l };
  cursor = { ...focus };
  render(false);
  return state();
}
function valueAt(i, y, x, l = 0) {
  checkCell(i, y, x, l);
  if (!loaded) return null;
  const g = D.layers[l], [fy, fx] = cellOf(l, focus.fy, focus.fx);
  const a = focus.image * offsets[l] + fy * g.width + fx, b = i * offsets[l] + y * g.width + x;
  return decode(l, tri[l][triIndex(a, b, g.cells)]);
}
function state() {
  return { loaded, pinned, group, image: focus.image,
           cells: D.layers.map((g, l) => cellOf(l, focus.fy, focus.fx)), ranges: rowRange.map(r => r.slice()) };
}
document.addEventListener('keydown', ev => {
  if (!loaded || ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const l = focus.layer || 0, g = D.layers[l];
  let [y, x] = cellOf(l, focus.fy, focus.fx), i = focus.image;
  switch (ev.key) {
    case 'ArrowUp': y = Math.max(y - 1, 0); break;
    case 'ArrowDown': y = Math.min(y + 1, g.height - 1); break;
    case 'ArrowLeft': x = Math.max(x - 1, 0); break;
    case 'ArrowRight': x = Math.min(x + 1, g.width - 1); break;
    case '[': i = (i + N - 1) % N; break;
    case ']': i = (i + 1) % N; break;
    case 'p': case 'P': pinned = !pinned; render(false); return;
    case 'Escape': pinned = false; if (group >= 0 && D.nmf) selectGroup(-1); else render(false); return;
    default: return;
  }
  ev.preventDefault();
  hover(i, y, x, l);
});

const ready = (async () => {
  layout();
  [tri, base] = await Promise.all([Promise.all(D.layers.map(loadLayer)), Promise.all(D.images.map(loadImage))]);
  loaded = true;
  render(true);
})().catch(err => {
  statusEl.classList.add('error');
  statusEl.textContent = `Cannot show the maps: ${err.message}`;
  throw err;
});
window.simlay = { ready, hover, valueAt, state, selectGroup, version: D.version,
                  images: D.images.map(im => im.name), layers: D.layers.map(g => ({ name: g.name, height: g.height, width: g.width })) };
})();
"""#
}
