// Pure functions of the live view (issue 16): which cell is under the pointer, the latest-only hover
// gate (only the newest hover is answered, stale answers are dropped), and decoding of the daemon's
// binary map frames. No DOM here, so node's test runner checks them (Tests/js/live-core.test.js).
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

  /// Decodes a binary map frame: little-endian uint32 seq, n, h, w, then n*h*w float32 values
  /// (maps[i][y][x] as the daemon computed them). Throws naming what was wrong on a short frame.
  function decodeMapsFrame(buffer) {
    if (buffer.byteLength < 16) throw new Error(`map frame of ${buffer.byteLength} bytes; the header needs 16`);
    const v = new DataView(buffer);
    const seq = v.getUint32(0, true), n = v.getUint32(4, true), h = v.getUint32(8, true), w = v.getUint32(12, true);
    const want = 16 + n * h * w * 4;
    if (buffer.byteLength !== want) throw new Error(`map frame of ${buffer.byteLength} bytes; ${n}x${h}x${w} needs ${want}`);
    const maps = new Float32Array(n * h * w);
    for (let i = 0; i < maps.length; i++) maps[i] = v.getFloat32(16 + 4 * i, true);
    return { seq, n, h, w, maps };
  }

  /// The value shown at cell (y, x) of image i, as the maps give it.
  function valueAt(frame, i, y, x) {
    if (i < 0 || i >= frame.n || y < 0 || y >= frame.h || x < 0 || x >= frame.w) return undefined;
    return frame.maps[(i * frame.h + y) * frame.w + x];
  }

  return { cellUnderPointer, stepCell, createHoverGate, decodeMapsFrame, valueAt };
});
