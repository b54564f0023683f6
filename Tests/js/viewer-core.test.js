// Unit tests of the viewer's pure functions (Sources/SimlayService/Viewer/Resources/viewer-core.js):
// payload decoding, cell <-> pixel maths, the packed triangle, ranges and pixel blending. Run with
// `node --test Tests/js/` (scripts/test.sh does). Expected values come from the formulas restated
// independently here (loops over every pixel or cell), from node's own zlib, or from hand arithmetic
// written out beside them.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const zlib = require('node:zlib');
const path = require('node:path');
const core = require(path.join(__dirname, '../../Sources/SimlayService/Viewer/Resources/viewer-core.js'));

const grid = (height, width, extra = {}) => ({ name: 'g', height, width, ...extra });

test('parsePayload accepts version 1 and names what is wrong otherwise', () => {
  const ok = { version: 1, images: [{ name: 'a' }], layers: [{ name: 'l' }] };
  assert.deepEqual(core.parsePayload(JSON.stringify(ok)), ok);
  assert.throws(() => core.parsePayload('{"version": 1,'), /not JSON/);
  assert.throws(() => core.parsePayload('null'), /not an object/);
  assert.throws(() => core.parsePayload(JSON.stringify({ ...ok, version: 2 })), /version 2; this script reads version 1/);
  assert.throws(() => core.parsePayload(JSON.stringify({ ...ok, images: [] })), /no images/);
  assert.throws(() => core.parsePayload(JSON.stringify({ ...ok, layers: undefined })), /no layers/);
});

test('bytesOf decodes base64 to bytes, all 256 values included', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(core.bytesOf(Buffer.from(all).toString('base64')), all);
  assert.deepEqual(core.bytesOf(''), new Uint8Array(0));
});

test('layerCodes inflates zlib data (as ViewerDeflate writes it), takes raw data, checks the length', async () => {
  const codes = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251);
  const layer = data => ({ name: 'blocks.10', encoding: 'deflate', length: codes.length, data });
  const deflated = zlib.deflateSync(codes).toString('base64');
  assert.deepEqual(await core.layerCodes(layer(deflated)), codes);
  assert.deepEqual(await core.layerCodes({ ...layer(Buffer.from(codes).toString('base64')), encoding: 'raw' }), codes);
  await assert.rejects(core.layerCodes({ ...layer(deflated), length: 4999 }), /blocks.10: 5000 bytes of maps, expected 4999/);
  await assert.rejects(core.layerCodes({ ...layer(deflated), encoding: 'gzip' }), /unknown encoding 'gzip'/);
  const broken = zlib.deflateSync(codes); broken[broken.length - 1] ^= 0xff;  // the Adler-32 checksum
  await assert.rejects(core.layerCodes(layer(broken.toString('base64'))));
});

test('cellOf is floor(f * size) clamped to the grid; centreOf lands back in the same cell', () => {
  const g = grid(14, 14);
  assert.deepEqual(core.cellOf(g, 0, 0), [0, 0]);
  assert.deepEqual(core.cellOf(g, 0.999999, 0.999999), [13, 13]);
  assert.deepEqual(core.cellOf(g, 1, 1.5), [13, 13]);
  assert.deepEqual(core.cellOf(g, -0.2, 0.5), [0, 7]);
  assert.deepEqual(core.cellOf(g, 1 / 14, 2 / 14 - 1e-9), [1, 1]);
  for (const [h, w] of [[14, 14], [28, 28], [7, 5], [1, 1]]) {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const c = core.centreOf(grid(h, w), y, x);
      assert.deepEqual(core.cellOf(grid(h, w), c.fy, c.fx), [y, x]);
    }
  }
  // Layer sync: the centre of cell (5, 6) of a 14x14 grid is in cell (11, 13) of a 28x28 grid.
  const c = core.centreOf(g, 5, 6);
  assert.deepEqual(core.cellOf(grid(28, 28), c.fy, c.fx), [11, 13]);
});

test('pointIn normalises a pointer position to its box and keeps it inside [0, 1)', () => {
  const r = { left: 10, top: 20, width: 100, height: 50 };
  assert.deepEqual(core.pointIn(r, 60, 45), [0.5, 0.5]);
  assert.deepEqual(core.pointIn(r, 10, 20), [0, 0]);
  assert.deepEqual(core.pointIn(r, 500, -3), [0, 0.999999]);
  assert.deepEqual(core.pointIn(r, 110, 70), [0.999999, 0.999999]);
});

test('triIndex numbers the upper triangle row-major, either order, as ViewerTriangle packs it', () => {
  for (const m of [1, 2, 5, 17]) {
    let k = 0;
    for (let a = 0; a < m; a++) for (let b = a; b < m; b++) {
      assert.equal(core.triIndex(a, b, m), k);
      assert.equal(core.triIndex(b, a, m), k);
      k++;
    }
    assert.equal(k, m * (m + 1) / 2);
  }
});

test('cellIndex is image-major, then y, then x', () => {
  const g = grid(3, 4);
  const seen = [];
  for (let i = 0; i < 2; i++) for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) seen.push(core.cellIndex(g, i, y, x));
  assert.deepEqual(seen, Array.from({ length: 24 }, (_, i) => i));
});

test('decodeCode spans [low, high] in 255 steps; a flat layer decodes every code to low', () => {
  const g = grid(1, 1, { low: -1, high: 1 });
  assert.equal(core.decodeCode(g, 0), -1);
  assert.equal(core.decodeCode(g, 255), 1);
  assert.ok(Math.abs(core.decodeCode(g, 51) - (-1 + 51 * 2 / 255)) < 1e-15);
  const flat = grid(1, 1, { low: 0.25, high: 0.25 });
  for (const q of [0, 17, 255]) assert.equal(core.decodeCode(flat, q), 0.25);
});

test('focusRow and valueOf read one row of a packed symmetric matrix', () => {
  // Two images of a 2x3 grid: M = 12 cells; matrix entry (a, b) = code (a * b + a + b) % 256.
  const g = grid(2, 3, { cells: 12, low: -2, high: 3 });
  const m = g.cells, codes = new Uint8Array(m * (m + 1) / 2);
  const code = (a, b) => (a * b + a + b) % 256;
  let k = 0;
  for (let a = 0; a < m; a++) for (let b = a; b < m; b++) codes[k++] = code(a, b);
  for (let a = 0; a < m; a++) {
    const row = core.focusRow(g, codes, a);
    assert.equal(row.length, m);
    for (let b = 0; b < m; b++) {
      const expected = Math.fround(-2 + code(a, b) * 5 / 255);
      assert.equal(row[b], expected, `row ${a} column ${b}`);
      assert.equal(Math.fround(core.valueOf(g, codes, a, b)), expected);
      assert.equal(core.valueOf(g, codes, a, b), core.valueOf(g, codes, b, a));
    }
  }
});

test('rangeOf: cosine has its natural range, other metrics span the finite values', () => {
  assert.deepEqual(core.rangeOf([0.2, 0.9], 'cosine', 'mask'), [0, 1]);
  assert.deepEqual(core.rangeOf([0.2, 0.9], 'cosine', 'diverging'), [-1, 1]);
  assert.deepEqual(core.rangeOf([1, -3, 2, NaN, Infinity], 'dot', 'viridis'), [-3, 2]);
  assert.deepEqual(core.rangeOf([1, -3, 2], 'dot', 'diverging'), [-3, 3]);
  assert.deepEqual(core.rangeOf([-0.5, -4], 'euclidean', 'mask'), [-4, -0.5]);
  assert.deepEqual(core.rangeOf([2, 2], 'dot', 'mask'), [2, 3]);
  assert.deepEqual(core.rangeOf([NaN, -Infinity], 'dot', 'mask'), [0, 1]);
  assert.deepEqual(core.rangeOf([], 'dot', 'diverging'), [0, 1]);
  // All zero, diverging: symmetric about 0 out to 0, so flat: [0, 1] (the 0 may be -0).
  assert.deepEqual(core.rangeOf([0, 0], 'dot', 'diverging').map(v => v + 0), [0, 1]);
});

test('normalise maps a slice of a row onto [0, 1], clamped, non-finite values to 0', () => {
  const n = core.normalise([9, 0, 5, 10, 20, NaN, -1, 9], 1, 6, 0, 10);
  assert.deepEqual(Array.from(n), [0, 0.5, 1, 1, 0, 0]);
});
