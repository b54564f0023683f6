// Pure state of the live view (issue 16): what the address asks for, the rows of tiles (one per layer of
// the synchronised layers, or per model of a side-by-side comparison), the cell each row queries for one
// image point, the hover requests (proto3 JSON of simlay.v1.SimilarityRequest) and the overlay pixels
// of a tile at grid resolution (the browser scales them; see live.js). No DOM: node's test runner
// checks it (Tests/js/live-state.test.js). Uses viewer-core.js's bytesOf and tableOffset (not copied).
(function (root, factory) {
  const core = typeof module === 'object' && module.exports
    ? require('../../SimlayService/Viewer/Resources/viewer-core.js') : root.SimlayViewerCore;
  const api = factory(core);
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.simlayLiveState = api;
})(typeof globalThis !== 'undefined' ? globalThis : this, function (core) {
  'use strict';

  const METRICS = ['cosine', 'dot', 'euclidean'];

  /// What the page's address asks for: ?images=ID1,ID2&layer=L|layers=L1,L2&model=M&metric=cosine
  /// &colormap=viridis&compare=M:L,M2:L2&top=K&token=T. Throws naming a bad parameter.
  function parseAddress(search) {
    const p = new URLSearchParams(search);
    const list = (name) => (p.get(name) || '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    const layers = p.has('layers') ? list('layers') : list('layer');
    const metric = p.get('metric') || 'cosine';
    if (!METRICS.includes(metric)) throw new Error(`metric '${metric}' is not one of ${METRICS.join(', ')}`);
    const compare = list('compare').map((entry) => {
      const at = entry.lastIndexOf(':');
      if (at <= 0 || at === entry.length - 1) throw new Error(`compare entry '${entry}' is not MODEL:LAYER`);
      return { model: entry.slice(0, at), layer: entry.slice(at + 1) };
    });
    const top = p.has('top') ? Number(p.get('top')) : 5;
    if (!Number.isInteger(top) || top < 0 || top > 1024) throw new Error(`top '${p.get('top')}' is not a whole number in 0...1024`);
    return { images: list('images'), layers, model: p.get('model') || '', metric, colormap: p.get('colormap') || 'viridis',
             compare, topK: top, token: p.get('token') };
  }

  /// The address for a state (no token: the page keeps that in memory and sessionStorage only).
  function addressFor(s) {
    const p = new URLSearchParams();
    if (s.images.length) p.set('images', s.images.join(','));
    if (s.layers.length === 1) p.set('layer', s.layers[0]); else if (s.layers.length) p.set('layers', s.layers.join(','));
    if (s.model) p.set('model', s.model);
    if (s.metric !== 'cosine') p.set('metric', s.metric);
    if (s.colormap !== 'viridis') p.set('colormap', s.colormap);
    if (s.compare.length) p.set('compare', s.compare.map((c) => `${c.model}:${c.layer}`).join(','));
    if (s.topK !== 5) p.set('top', String(s.topK));
    return '?' + p.toString().replace(/%2C/g, ',').replace(/%3A/g, ':');
  }

  /// The layer a model starts at without `layer`: blocks.10 when it has one (the article's choice for
  /// EfficientNet), else the last layer whose grid is closest to 14 x 14.
  function defaultLayer(model) {
    if (model.layers.some((l) => l.name === 'blocks.10')) return 'blocks.10';
    let best = null;
    for (const l of model.layers) {
      const d = Math.abs((l.height | 0) - 14) + Math.abs((l.width | 0) - 14);
      if (best === null || d <= best.d) best = { d, name: l.name };
    }
    if (best === null) throw new Error(`model ${model.name} has no grid layers`);
    return best.name;
  }

  /// The rows of tiles: the layers of the page's model, then each comparison row. `models` is the
  /// ListModels answer (proto3 JSON). Each row: {model, layer, h, w, label}. Throws naming an unknown
  /// model or layer, with the names it knows.
  function rowsFor(s, models) {
    const byName = new Map(models.models.map((m) => [m.name, m]));
    const main = s.model || models.defaultModel;
    const want = [...s.layers.map((layer) => ({ model: main, layer })), ...s.compare];
    return want.map(({ model, layer }) => {
      const m = byName.get(model);
      if (!m) throw new Error(`model '${model}' is not loaded (the daemon has ${[...byName.keys()].join(', ')})`);
      const l = m.layers.find((x) => x.name === layer);
      if (!l) throw new Error(`model ${model} has no layer '${layer}' (see ListModels: e.g. ${m.layers.slice(-3).map((x) => x.name).join(', ')})`);
      return { model, layer, h: l.height | 0, w: l.width | 0, label: s.compare.length ? `${model} · ${layer}` : layer };
    });
  }

  /// The cell of each row under the image point (fy, fx) in [0, 1)^2: floor(f * cells), clamped (the
  /// daemon's rule for one pixel on every layer's grid).
  function cellsFor(rows, fy, fx) {
    return rows.map((r) => ({ y: Math.min(Math.max(Math.floor(fy * r.h), 0), r.h - 1),
                              x: Math.min(Math.max(Math.floor(fx * r.w), 0), r.w - 1) }));
  }
  /// The image point at the centre of cell (y, x) of a row's grid; throws naming a cell off the grid.
  function pointOfCell(row, y, x) {
    if (!(Number.isInteger(y) && Number.isInteger(x) && y >= 0 && x >= 0 && y < row.h && x < row.w)) {
      throw new Error(`cell (${y}, ${x}) is outside ${row.layer}'s ${row.h}x${row.w} grid`);
    }
    return { fy: (y + 0.5) / row.h, fx: (x + 0.5) / row.w };
  }

  /// One SimilarityRequest per row for image `image` (an index) and the rows' cells; `ids[r]` are row r's
  /// image ids (ids depend on the model's preprocessing).
  function hoverRequests(rows, ids, image, cells, opts) {
    return rows.map((r, k) => {
      const req = { model: r.model, layer: r.layer, query: { imageId: ids[k][image], cell: { y: cells[k].y, x: cells[k].x } },
                    targetIds: ids[k], metric: 'METRIC_' + opts.metric.toUpperCase() };
      if (opts.topK > 0) { req.topK = opts.topK; req.excludeRadius = opts.excludeRadius ?? 1; }
      return req;
    });
  }
  /// A key that changes exactly when the query changes (so a pointer moving inside a cell sends nothing).
  function queryKey(image, cells) { return image + '|' + cells.map((c) => c.y + ',' + c.x).join(';'); }

  /// Writes a tile's overlay at grid resolution into RGBA `out` from values `n` normalised to [0, 1]:
  /// a colour map's colour at alpha `opacity` (the browser's blend (1 - a) * image + a * colour is the
  /// daemon's), or for the mask (table null) black at alpha opacity * (1 - v), i.e. image * (1 - opacity
  /// * (1 - v)).
  function overlayPixels(out, n, table, opacity) {
    for (let c = 0; c < n.length; c++) {
      const o = 4 * c;
      if (table === null) {
        out[o] = 0; out[o + 1] = 0; out[o + 2] = 0; out[o + 3] = Math.round(255 * opacity * (1 - n[c]));
      } else {
        const k = core.tableOffset(n[c]);
        out[o] = table[k]; out[o + 1] = table[k + 1]; out[o + 2] = table[k + 2]; out[o + 3] = Math.round(255 * opacity);
      }
    }
    return out;
  }

  /// A FloatTensor of proto3 JSON ({shape: ["2", ...], data: base64}) as {shape: numbers, data: Float32Array}.
  function floatTensor(t, what) {
    const shape = (t && t.shape || []).map(Number), count = shape.reduce((a, b) => a * b, 1);
    const bytes = core.bytesOf(t && t.data || '');
    if (bytes.length !== 4 * count) throw new Error(`${what}: ${bytes.length} bytes for shape [${shape}] (needs ${4 * count})`);
    const aligned = new Uint8Array(bytes.length); aligned.set(bytes);
    return { shape, data: new Float32Array(aligned.buffer) };
  }
  /// Base64 of bytes, in chunks (String.fromCharCode over a whole photo overflows the stack).
  function base64Of(bytes) {
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(bin);
  }
  /// Throws unless `count` images fit the daemon's per-request limit (Limits.maxImagesPerRequest).
  function checkImageCount(count, limits) {
    const most = Number(limits && limits.maxImagesPerRequest) || 64;
    if (count > most) throw new Error(`${count} images: the daemon takes at most ${most} per request (simlayd --max-images)`);
  }
  /// Groups uploads (byte sizes, in order) into AddImages calls whose messages stay under `most` bytes
  /// (base64 grows 4/3, plus ~200 bytes of JSON per image); throws naming a file too big on its own.
  function uploadBatches(uploads, most) {
    const cost = (n) => Math.ceil(n / 3) * 4 + 200, out = [];
    let batch = [], used = 100;
    uploads.forEach((u, k) => {
      const c = cost(u.size);
      if (most && c + 100 > most) throw new Error(`${u.name}: ${(c / 1048576).toFixed(1)} MiB as a message; the daemon takes ${(most / 1048576).toFixed(1)} MiB (simlayd --max-message-mb)`);
      if (batch.length && most && used + c > most) { out.push(batch); batch = []; used = 100; }
      batch.push(k); used += c;
    });
    if (batch.length) out.push(batch);
    return out;
  }
  /// A value for the status line: 3 decimals, '–' for none.
  function fmt(v) { return (v === undefined || v === null || !isFinite(v)) ? '–' : (Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(3)); }

  return { METRICS, parseAddress, addressFor, defaultLayer, rowsFor, cellsFor, pointOfCell, hoverRequests, queryKey,
           overlayPixels, floatTensor, base64Of, checkImageCount, uploadBatches, fmt };
});
