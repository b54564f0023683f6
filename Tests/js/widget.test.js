// Unit tests of the live notebook widget's pure functions (python/simlay/widget.mjs, an ES module imported
// as it ships): the cell under the pointer against a per-pixel reference, arrow keys, the binary map
// frame against values written with DataView (also as a slice of a larger buffer, as anywidget hands
// buffers over), the display range, and tile shading compared pixel for pixel with the static viewer's
// shadeTile (viewer-core.js, itself checked against the daemon's renderer by the browser test).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const core = require(path.join(__dirname, '../../Sources/SimlayService/Viewer/Resources/viewer-core.js'));

const load = () => import(pathToFileURL(path.join(__dirname, '../../python/simlay/widget.mjs')).href);

test('cellAt matches floor(fraction * cells) at every pixel of a 200x120 tile, null outside', async () => {
  const w = await load();
  const rect = { left: 7, top: 11, width: 200, height: 120 };
  for (let py = 0; py < 120; py += 1) for (let px = 0; px < 200; px += 3) {
    const c = w.cellAt(rect, 7 + px + 0.5, 11 + py + 0.5, 7, 13);
    assert.deepEqual(c, { y: Math.floor((py + 0.5) * 7 / 120), x: Math.floor((px + 0.5) * 13 / 200) });
  }
  assert.equal(w.cellAt(rect, 6.9, 50, 7, 13), null);
  assert.equal(w.cellAt(rect, 50, 11 + 120, 7, 13), null);
  assert.equal(w.cellAt({ left: 0, top: 0, width: 0, height: 0 }, 0, 0, 7, 7), null);
});

test('stepCell moves one cell, clamps at the edges, ignores other keys', async () => {
  const w = await load();
  assert.deepEqual(w.stepCell({ y: 0, x: 0 }, 'ArrowUp', 7, 9), { y: 0, x: 0 });
  assert.deepEqual(w.stepCell({ y: 6, x: 8 }, 'ArrowRight', 7, 9), { y: 6, x: 8 });
  assert.deepEqual(w.stepCell({ y: 3, x: 3 }, 'ArrowDown', 7, 9), { y: 4, x: 3 });
  assert.deepEqual(w.stepCell({ y: 3, x: 3 }, 'ArrowLeft', 7, 9), { y: 3, x: 2 });
  assert.deepEqual(w.stepCell({ y: 3, x: 3 }, 'Enter', 7, 9), { y: 3, x: 3 });
});

function frameBytes(seq, n, h, w, values, offset = 0) {
  const buffer = new ArrayBuffer(offset + 16 + 4 * values.length + 8);
  const v = new DataView(buffer, offset, 16 + 4 * values.length);
  [seq, n, h, w].forEach((x, i) => v.setUint32(4 * i, x, true));
  values.forEach((x, i) => v.setFloat32(16 + 4 * i, x, true));
  return v;
}

test('decodeFrame reads seq, sizes and float32 maps from a DataView, a typed array or an ArrayBuffer', async () => {
  const w = await load();
  const values = Array.from({ length: 2 * 3 * 5 }, (_, i) => Math.fround(Math.sin(i) * 3));
  values[4] = NaN; values[7] = -0;
  const view = frameBytes(4000000000, 2, 3, 5, values, 12);  // a slice at offset 12 of a larger buffer
  const copy = view.buffer.slice(12, 12 + view.byteLength);
  for (const input of [view, new Uint8Array(view.buffer, 12, view.byteLength), copy]) {
    const f = w.decodeFrame(input);
    assert.deepEqual([f.seq, f.n, f.h, f.w], [4000000000, 2, 3, 5]);
    assert.deepEqual(Array.from(f.maps), values);
    assert.ok(Object.is(f.maps[7], -0));
  }
  assert.throws(() => w.decodeFrame(new ArrayBuffer(8)), /8 bytes; the header needs 16/);
  assert.throws(() => w.decodeFrame(new DataView(copy, 0, copy.byteLength - 4)), /2x3x5 needs 136/);
});

test('displayRange: fixed, cosine, diverging, min..max of finite values, flat', async () => {
  const w = await load();
  assert.deepEqual(w.displayRange([5, 9], 'cosine', 'mask', [0.2, 0.4]), [0.2, 0.4]);
  assert.deepEqual(w.displayRange([5, 9], 'cosine', 'viridis', []), [0, 1]);
  assert.deepEqual(w.displayRange([5, 9], 'cosine', 'diverging', []), [-1, 1]);
  assert.deepEqual(w.displayRange([-3, NaN, 2, Infinity], 'dot', 'mask', []), [-3, 2]);
  assert.deepEqual(w.displayRange([-3, 2], 'euclidean', 'diverging', []), [-3, 3]);
  assert.deepEqual(w.displayRange([4, 4], 'dot', 'viridis', []), [4, 5]);
  assert.deepEqual(w.displayRange([NaN], 'dot', 'viridis', []), [0, 1]);
  // The range the static viewer computes, on random rows.
  for (let t = 0; t < 20; t++) {
    const row = Float32Array.from({ length: 50 }, () => Math.random() * 4 - 2);
    for (const cm of ['mask', 'viridis', 'diverging']) for (const m of ['cosine', 'dot']) {
      assert.deepEqual(w.displayRange(row, m, cm, []), core.rangeOf(row, m, cm));
    }
  }
});

function random(seed) {
  let s = seed;
  return () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
}

test('shadeTile equals the static viewer shadeTile pixel for pixel (mask and table, nearest and bilinear)', async () => {
  const w = await load();
  const rnd = random(7);
  const table = Array.from({ length: 768 }, () => Math.floor(rnd() * 256));
  for (const [gh, gw, tw, th] of [[7, 7, 64, 43], [14, 14, 50, 50], [3, 5, 13, 31], [1, 1, 9, 4]]) {
    const src = Uint8ClampedArray.from({ length: tw * th * 4 }, () => Math.floor(rnd() * 256));
    const values = Float32Array.from({ length: gh * gw }, () => rnd() * 1.4 - 0.2);
    values[0] = NaN;
    const [lo, hi] = [0, 1];
    for (const opacity of [0.6, 1, 0.25]) for (const colours of [[], table]) for (const upsample of ['nearest', 'bilinear']) {
      const ours = new Uint8ClampedArray(tw * th * 4), theirs = new Uint8ClampedArray(tw * th * 4);
      w.shadeTile(ours, src, values, gh, gw, tw, th, lo, hi, { table: colours, opacity, upsample });
      const g = { height: gh, width: gw };
      const axes = upsample === 'bilinear' ? { ay: core.bilinearAxis(gh, th), ax: core.bilinearAxis(gw, tw) } : null;
      const style = core.styleOf({ colormapTable: colours.length ? colours : null, opacity });
      core.shadeTile(theirs, src, core.normalise(values, 0, gh * gw, lo, hi), g, tw, th, style, axes);
      assert.deepEqual(ours, theirs, `${gh}x${gw} on ${tw}x${th}, opacity ${opacity}, ${colours.length ? 'table' : 'mask'}, ${upsample}`);
    }
  }
});

test('shadeTile by hand: the mask darkens by 1 - opacity * (1 - v); a table blends its colour', async () => {
  const w = await load();
  const src = Uint8ClampedArray.from([200, 100, 50, 255, 200, 100, 50, 255]);
  const out = new Uint8ClampedArray(8);
  w.shadeTile(out, src, [0, 1], 1, 2, 2, 1, 0, 1, { table: [], opacity: 0.5, upsample: 'nearest' });
  assert.deepEqual(Array.from(out), [100, 50, 25, 255, 200, 100, 50, 255]);
  const table = new Array(768).fill(0);
  table[765] = 255; table[766] = 0; table[767] = 255;  // bin 255 (v = 1) is magenta
  w.shadeTile(out, src, [0, 1], 1, 2, 2, 1, 0, 1, { table, opacity: 0.5, upsample: 'nearest' });
  assert.deepEqual(Array.from(out), [100, 50, 25, 255, 228, 50, 153, 255]);
});
