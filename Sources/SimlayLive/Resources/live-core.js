// Pure functions of the live view (issue 16): which cell is under the pointer, the latest-only hover
// gate (only the newest hover is answered, stale answers are dropped), and decoding of the daemon's
// binary map frames (one frame per hover, one row per layer or model). No DOM here, so node's test runner
// checks them (Tests/js/live-core.test.js).
// Colormap shading is not repeated here: the page reuses viewer-core.js (tableOffset, blendPixel).
(function (root, factory) {
  const api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.simlayLiveCore = api;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  /// The cell (y, x) of an h x w grid under a pointer at (clientX, clientY) over a tile drawn in `rect`
  /// ({left, top, width, height}); null when the pointer is outside the tile.
  function cellUnderPointer(rect, clientX, clientY, h, w) {
    const fx = (clientX - rect.left) / rect.width;
    const fy = (clientY - rect.top) / rect.height;
    if (!(fx >= 0 && fx < 1 && fy >= 0 && fy < 1)) return null;
    return { y: Math.min(Math.floor(fy * h), h - 1), x: Math.min(Math.floor(fx * w), w - 1) };
  }

  /// The cell an arrow key moves the query to, clamped to the grid.
  function stepCell(cell, key, h, w) {
    const d = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[key];
    if (!d) return cell;
    return { y: Math.min(Math.max(cell.y + d[0], 0), h - 1), x: Math.min(Math.max(cell.x + d[1], 0), w - 1) };
  }

  /// Latest-only hover gate: at most one query in flight and at most one pending (the newest). A hover
  /// while a query is in flight replaces the pending one (the replaced promise resolves as superseded);
  /// an answer whose sequence number is not the newest sent is stale and dropped.
  function createHoverGate(send) {
    let seq = 0, inFlight = null, pending = null;
    function dispatch(job) {
      job.seq = ++seq;
      inFlight = job;
      send(job.seq, job.query);
    }
    return {
      hover(query) {
        return new Promise((resolve) => {
          const job = { query, resolve };
          if (inFlight === null) { dispatch(job); return; }
          if (pending) pending.resolve({ superseded: true, query: pending.query });
          pending = job;
        });
      },
      /// Called with each answer; returns true when the answer is current and should be painted.
      answer(answerSeq, payload) {
        if (inFlight === null || answerSeq !== inFlight.seq) return false;
        const done = inFlight;
        inFlight = null;
        if (pending) { const next = pending; pending = null; dispatch(next); }
        const current = inFlight === null;
        done.resolve({ superseded: !current, query: done.query, payload });
        return current;
      },
      get pendingCount() { return pending ? 1 : 0; },
      get lastSeq() { return seq; },
    };
  }

  /// Decodes a binary hover answer of the /ws socket: uint32 LE seq, uint32 LE metaBytes, metaBytes of
  /// UTF-8 JSON (padded with spaces to a multiple of 4), then each row's float32 LE maps [n][h][w] one
  /// after the other. Returns {seq, meta, rows: [{...meta row, maps: Float32Array}]}. Throws naming what
  /// was wrong (short header, bad JSON, a size that does not match the rows' shapes).
  function decodeMapsFrame(buffer) {
    if (buffer.byteLength < 8) throw new Error(`map frame of ${buffer.byteLength} bytes; the header needs 8`);
    const v = new DataView(buffer);
    const seq = v.getUint32(0, true), metaBytes = v.getUint32(4, true);
    if (8 + metaBytes > buffer.byteLength) {
      throw new Error(`map frame of ${buffer.byteLength} bytes announces ${metaBytes} bytes of metadata`);
    }
    let meta;
    try { meta = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, metaBytes))); } catch (e) {
      throw new Error(`map frame ${seq}: metadata is not JSON (${e.message})`);
    }
    if (!meta || !Array.isArray(meta.rows)) throw new Error(`map frame ${seq}: metadata has no rows`);
    // The maps start at the first multiple of 4 after the metadata (the daemon pads it with spaces).
    let offset = 8 + Math.ceil(metaBytes / 4) * 4;
    const values = meta.rows.reduce((sum, r) => sum + (r.n | 0) * (r.h | 0) * (r.w | 0), 0);
    if (buffer.byteLength !== offset + 4 * values) {
      const shapes = meta.rows.map((r) => `${r.n}x${r.h}x${r.w}`).join(', ');
      throw new Error(`map frame ${seq} of ${buffer.byteLength} bytes; rows ${shapes} need ${offset + 4 * values}`);
    }
    const rows = meta.rows.map((r) => {
      const count = (r.n | 0) * (r.h | 0) * (r.w | 0);
      const maps = floats(buffer, v, offset, count);
      offset += 4 * count;
      return Object.assign({}, r, { maps });
    });
    return { seq, meta, rows };
  }

  // Float32Array views need a little-endian platform (every browser in use); otherwise copy via DataView.
  const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  function floats(buffer, view, offset, count) {
    if (littleEndian) return new Float32Array(buffer, offset, count);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, true);
    return out;
  }

  /// The value shown at cell (y, x) of image i of a decoded row ({n, h, w, maps}), as the maps give it.
  function valueAt(row, i, y, x) {
    if (!row || i < 0 || i >= row.n || y < 0 || y >= row.h || x < 0 || x >= row.w) return undefined;
    return row.maps[(i * row.h + y) * row.w + x];
  }

  // ---- Analyses (Nmf, Pca, Sweep answers) drawn at grid resolution; the browser scales the pixels.

  /// Image i's NMF overlay into RGBA `out` (h*w cells): each cell in its group's colour (`palette` of
  /// [r, g, b]) at alpha 0.9 x strength; with `highlight` >= 0 only that group, every other cell dimmed
  /// to 35% (black at alpha 0.65), as the static viewer's legend does.
  function nmfPixels(out, groups, strength, i, plane, palette, highlight) {
    for (let c = 0; c < plane; c++) {
      const g = groups[i * plane + c], o = 4 * c;
      if (highlight < 0 || g === highlight) {
        const col = palette[g % palette.length];
        out[o] = col[0]; out[o + 1] = col[1]; out[o + 2] = col[2]; out[o + 3] = Math.round(255 * 0.9 * strength[i * plane + c]);
      } else {
        out[o] = 0; out[o + 1] = 0; out[o + 2] = 0; out[o + 3] = Math.round(255 * 0.65);
      }
    }
    return out;
  }
  /// How many positions each of k groups holds.
  function groupCounts(groups, k) {
    const n = new Array(k).fill(0);
    for (const g of groups) if (g >= 0 && g < k) n[g]++;
    return n;
  }
  /// Image i's PCA colours ([N, H, W, 3] bytes as floats, the daemon's joint scaling) into opaque RGBA.
  function pcaPixels(out, colors, i, plane) {
    for (let c = 0; c < plane; c++) {
      const s = 3 * (i * plane + c), o = 4 * c;
      out[o] = colors[s]; out[o + 1] = colors[s + 1]; out[o + 2] = colors[s + 2]; out[o + 3] = 255;
    }
    return out;
  }
  /// Geometry of a sweep chart (similarity of the tracked patch vs angle or scale) in a width x height
  /// box with margin `pad`: {d (an SVG path; a step out of bounds, NaN, breaks the line), points, xTicks,
  /// yTicks, lo, hi}. The y range is [min(0, lowest), max(1, highest)] so cosine charts share one scale.
  function sweepChart(params, values, width, height, pad = 32) {
    if (params.length !== values.length) throw new Error(`${params.length} parameters but ${values.length} values`);
    const finite = values.filter((v) => Number.isFinite(v));
    const lo = Math.min(0, ...finite), hi = Math.max(1, ...finite);
    const p0 = Math.min(...params), p1 = Math.max(...params), span = p1 > p0 ? p1 - p0 : 1;
    const X = (p) => pad + (p - p0) / span * (width - 2 * pad), Y = (v) => height - pad - (v - lo) / (hi - lo) * (height - 2 * pad);
    const points = params.map((p, k) => ({ x: X(p), y: Number.isFinite(values[k]) ? Y(values[k]) : null, param: p, value: values[k] }));
    let d = '', pen = false;
    for (const q of points) {
      if (q.y === null) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${q.x.toFixed(1)},${q.y.toFixed(1)}`;
      pen = true;
    }
    const yTicks = [lo, (lo + hi) / 2, hi].map((v) => ({ y: Y(v), label: v.toFixed(2) }));
    const xTicks = params.map((p) => ({ x: X(p), label: String(Number(p.toFixed(2))) }));
    return { d, points, xTicks, yTicks, lo, hi };
  }

  return { cellUnderPointer, stepCell, createHoverGate, decodeMapsFrame, valueAt, nmfPixels, groupCounts, pcaPixels,
           sweepChart };
});
