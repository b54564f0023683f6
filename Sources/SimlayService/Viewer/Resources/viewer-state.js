/* Simlay viewer, pure part 2 of 2: the page's one state object and its transitions, the keyboard, the
   public API's checks, and the texts (subtitle, status line, NMF legend). No DOM: node's test runner
   requires this file (Tests/js), the page includes it inline as the global SimlayViewerState after
   viewer-core.js.
   State: { loaded, pinned, group, pca, focus, cursor }, focus and cursor as { image, fy, fx, layer } with
   (fy, fx) the normalised point in the image, so that one point selects a cell on every layer (layer
   sync). `reduce` never mutates a state; it returns the next one. */
(function (root, factory) {
  'use strict';
  if (typeof module === 'object' && module.exports) module.exports = factory(require('./viewer-core.js'));
  else root.SimlayViewerState = factory(root.SimlayViewerCore);
})(typeof globalThis !== 'undefined' ? globalThis : this, function (core) {
  'use strict';

  /** The state before the maps are loaded: focus and cursor at the centre of image 0, nothing pinned,
   *  no NMF group shown (-1), the similarity overlays shown (pca false). */
  function initialState() {
    const p = { image: 0, fy: 0.5, fx: 0.5, layer: 0 };
    return { loaded: false, pinned: false, group: -1, pca: false, focus: p, cursor: { ...p } };
  }

  /** What the transitions check against: the image count, the layers' grids, the NMF k (0: none) and
   *  whether the page has a PCA mode. */
  function dimensions(d) {
    return { images: d.images.length, layers: d.layers.map(g => ({ name: g.name, height: g.height, width: g.width })),
             k: d.nmf ? d.nmf.k : 0, pca: Boolean(d.pca) };
  }

  /** Throws a RangeError naming what is outside the page: image i, layer l or cell (y, x). */
  function checkCell(dims, i, y, x, l) {
    const n = dims.images, L = dims.layers.length;
    if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new RangeError(`image ${i} is outside 0..${n - 1}`);
    if (!(Number.isInteger(l) && l >= 0 && l < L)) throw new RangeError(`layer ${l} is outside 0..${L - 1}`);
    const g = dims.layers[l];
    if (!(Number.isInteger(y) && Number.isInteger(x) && y >= 0 && y < g.height && x >= 0 && x < g.width)) {
      throw new RangeError(`cell (${y}, ${x}) is outside layer ${g.name}'s ${g.height}×${g.width} grid`);
    }
  }
  /** Throws unless g is -1 (no group) or a group of the page's NMF legend. */
  function checkGroup(dims, g) {
    if (dims.k === 0) throw new Error('this page has no NMF groups (export with --nmf K)');
    if (!(Number.isInteger(g) && g >= -1 && g < dims.k)) throw new RangeError(`group ${g} is outside -1..${dims.k - 1}`);
  }
  /** Throws unless the page has a PCA mode and `on` is a boolean. */
  function checkPca(dims, on) {
    if (!dims.pca) throw new Error('this page has no PCA mode (export with --pca)');
    if (typeof on !== 'boolean') throw new TypeError(`PCA mode ${on} is not true or false`);
  }

  /** The next state after `action`:
   *  - {type: 'loaded'}: the maps and images are ready;
   *  - {type: 'move', image, fy, fx, layer}: the pointer moved; the focus follows unless pinned;
   *  - {type: 'click', image, fy, fx, layer}: toggles the pin, pinning the focus at the point;
   *  - {type: 'hover', image, y, x, layer}: focus and cursor at the centre of that cell (checked);
   *  - {type: 'togglePin'}; {type: 'selectGroup', group} (checked; -1 clears; a group leaves the PCA
   *    mode); {type: 'setPca', on} (checked; on clears the group: one picture per tile);
   *    {type: 'togglePca'}; {type: 'escape'}: unpins, clears the group and leaves the PCA mode. */
  function reduce(s, a, dims) {
    switch (a.type) {
      case 'loaded': return { ...s, loaded: true };
      case 'move': {
        const p = { image: a.image, fy: a.fy, fx: a.fx, layer: a.layer };
        return { ...s, cursor: p, focus: s.pinned ? s.focus : { ...p } };
      }
      case 'click': {
        const p = { image: a.image, fy: a.fy, fx: a.fx, layer: a.layer }, pinned = !s.pinned;
        return { ...s, pinned, cursor: p, focus: pinned ? { ...p } : s.focus };
      }
      case 'hover': {
        checkCell(dims, a.image, a.y, a.x, a.layer);
        const c = core.centreOf(dims.layers[a.layer], a.y, a.x), p = { image: a.image, fy: c.fy, fx: c.fx, layer: a.layer };
        return { ...s, focus: p, cursor: { ...p } };
      }
      case 'togglePin': return { ...s, pinned: !s.pinned };
      case 'selectGroup': checkGroup(dims, a.group); return { ...s, group: a.group, pca: a.group >= 0 ? false : s.pca };
      case 'setPca': checkPca(dims, a.on); return { ...s, pca: a.on, group: a.on ? -1 : s.group };
      case 'togglePca': return reduce(s, { type: 'setPca', on: !s.pca }, dims);
      case 'escape': return { ...s, pinned: false, group: -1, pca: false };
      default: throw new Error(`unknown viewer action '${a.type}'`);
    }
  }

  /** The action of a key (KeyboardEvent.key), or null: arrows move the focus one cell on the layer it was
   *  last set on (stopping at the edges), [ and ] switch images (wrapping), P pins, C toggles the PCA
   *  mode (on a page that has one; P was already the pin's), Escape. */
  function keyAction(s, key, dims) {
    const l = s.focus.layer || 0, g = dims.layers[l], n = dims.images;
    let [y, x] = core.cellOf(g, s.focus.fy, s.focus.fx), i = s.focus.image;
    switch (key) {
      case 'ArrowUp': y = Math.max(y - 1, 0); break;
      case 'ArrowDown': y = Math.min(y + 1, g.height - 1); break;
      case 'ArrowLeft': x = Math.max(x - 1, 0); break;
      case 'ArrowRight': x = Math.min(x + 1, g.width - 1); break;
      case '[': i = (i + n - 1) % n; break;
      case ']': i = (i + 1) % n; break;
      case 'p': case 'P': return { type: 'togglePin' };
      case 'c': case 'C': return dims.pca ? { type: 'togglePca' } : null;
      case 'Escape': return { type: 'escape' };
      default: return null;
    }
    return { type: 'hover', image: i, y, x, layer: l };
  }

  /** The focus's cell [y, x] on every layer. */
  function focusCells(s, layers) { return layers.map(g => core.cellOf(g, s.focus.fy, s.focus.fx)); }
  /** A key that changes exactly when the tiles must be redrawn: the focus cells, image, group and mode. */
  function focusKey(s, layers) {
    return focusCells(s, layers).map(c => c.join(',')).join(';') + `|${s.focus.image}|${s.group}|${s.pca}`;
  }

  /** A value for the page: 3 decimals, none from 1000 up, '–' for null or non-finite. */
  function fmt(v) { return (v === null || !isFinite(v)) ? '–' : (Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(3)); }
  /** Text made safe as HTML element content and attribute values. */
  function escapeHTML(s) {
    return String(s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }
  /** The line under the title: model, metric, colormap, image count, layers and their grids. */
  function subtitle(d) {
    const n = d.images.length;
    return `${d.model} · ${d.metric} similarity · ${d.colormap} · ${n} image${n === 1 ? '' : 's'} · ` +
      d.layers.map(g => `${g.name} (${g.height}×${g.width})`).join(', ');
  }
  /** The status line (HTML): the focus, its cell on every layer, the value under the cursor `value`
   *  (on the cursor's layer) and the NMF group shown, numbered from 0 as the API, CLI and PNG legend, or
   *  in the PCA mode its layer and each component's explained variance. */
  function statusHTML(d, s, value) {
    const name = i => escapeHTML(d.images[i].name), l = s.cursor.layer, g = d.layers[l];
    const cells = d.layers.map(layer => {
      const [y, x] = core.cellOf(layer, s.focus.fy, s.focus.fx);
      return `${escapeHTML(layer.name)} (${y}, ${x})`;
    }).join(' · ');
    const [cy, cx] = core.cellOf(g, s.cursor.fy, s.cursor.fx);
    let text = `${s.pinned ? '<span class="pin">Pinned</span> focus' : 'Focus'}: <b>${name(s.focus.image)}</b> · ${cells}` +
      ` — under the cursor: <b>${name(s.cursor.image)}</b> ${escapeHTML(g.name)} (${cy}, ${cx}) <span class="value">${fmt(value)}</span>`;
    if (s.group >= 0) text += ` — showing NMF group ${groupLabel(s.group)}`;
    if (s.pca && d.pca) text += ` — showing PCA at ${escapeHTML(d.pca.layer)}: ${pcaVariance(d.pca)}`;
    return text;
  }

  /** "PC1 31.2% · PC2 9.8% · ...": each component's share of the total variance, one decimal. */
  function pcaVariance(pca) {
    return pca.explainedVariance.map((v, k) => `PC${k + 1} ${(v * 100).toFixed(1)}%`).join(' · ');
  }

  /** The PCA bar's caption: the layer, its grid, what R, G and B are and each component's variance. */
  function pcaCaption(pca) {
    const rgb = ['R', 'G', 'B'].slice(0, Math.min(3, pca.components)).map((c, k) => `${c} = PC${k + 1}`).join(', ');
    const fg = pca.foregroundThreshold === undefined || pca.foregroundThreshold === null
      ? '' : `; black: PC1 ≤ ${pca.foregroundThreshold} (background)`;
    return `PCA at ${pca.layer} (${pca.height}×${pca.width}×${pca.channels}, fitted over all images; ${rgb}${fg}), ` +
      `explained variance: ${pcaVariance(pca)}`;
  }

  /** A group's number as the page shows it: 0-based, as the Nmf RPC, the CLI and the PNG legend. */
  function groupLabel(g) { return String(g); }
  /** How many positions of `groups` fall in each of the k groups (values outside 0..k-1 are not counted). */
  function groupCounts(groups, k) {
    const counts = new Array(k).fill(0);
    for (const g of groups) if (g >= 0 && g < k) counts[g]++;
    return counts;
  }
  /** The legend's caption. */
  function legendCaption(nmf) {
    return `NMF groups at ${nmf.layer} (k = ${nmf.k}, relative error ${nmf.relativeError.toFixed(3)}); click one to highlight it:`;
  }
  /** One legend entry per group: {group, label, colour, count}; colours cycle through the palette. */
  function legendEntries(nmf) {
    const counts = groupCounts(nmf.groups, nmf.k);
    return counts.map((count, g) => ({ group: g, label: `Group ${groupLabel(g)}`, colour: nmf.palette[g % nmf.palette.length], count }));
  }

  return { initialState, dimensions, checkCell, checkGroup, checkPca, pcaVariance, pcaCaption, reduce, keyAction, focusCells, focusKey, fmt, escapeHTML,
           subtitle, statusHTML, groupLabel, groupCounts, legendCaption, legendEntries };
});
