// Unit tests of the live view's pure functions (Sources/SimlayLive/Resources/live-core.js): the cell under
// the pointer against a per-pixel reference, arrow-key clamping, the latest-only hover gate (stale
// answers dropped, at most one pending) and the binary map frame against values written with DataView.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const live = require(path.join(__dirname, '../../Sources/SimlayLive/Resources/live-core.js'));

test('cellUnderPointer matches floor(fraction * cells) at every pixel of a 224x224 tile, null outside', () => {
  const rect = { left: 10, top: 20, width: 224, height: 224 };
  for (let py = 0; py < 224; py += 3) for (let px = 0; px < 224; px += 5) {
    const c = live.cellUnderPointer(rect, 10 + px + 0.5, 20 + py + 0.5, 14, 14);
    assert.deepEqual(c, { y: Math.floor((py + 0.5) / 16), x: Math.floor((px + 0.5) / 16) });
  }
  assert.equal(live.cellUnderPointer(rect, 9.9, 30, 14, 14), null);
  assert.equal(live.cellUnderPointer(rect, 30, 20 + 224, 14, 14), null);
  assert.equal(live.cellUnderPointer({ left: 0, top: 0, width: 0, height: 0 }, 0, 0, 14, 14), null);
});

test('stepCell moves one cell and clamps at the edges; other keys leave the cell', () => {
  assert.deepEqual(live.stepCell({ y: 0, x: 0 }, 'ArrowUp', 7, 7), { y: 0, x: 0 });
  assert.deepEqual(live.stepCell({ y: 6, x: 6 }, 'ArrowRight', 7, 7), { y: 6, x: 6 });
  assert.deepEqual(live.stepCell({ y: 3, x: 3 }, 'ArrowDown', 7, 7), { y: 4, x: 3 });
  assert.deepEqual(live.stepCell({ y: 3, x: 3 }, 'ArrowLeft', 7, 7), { y: 3, x: 2 });
  assert.deepEqual(live.stepCell({ y: 3, x: 3 }, 'a', 7, 7), { y: 3, x: 3 });
});

test('hover gate: one in flight, the newest pending replaces older ones, stale answers dropped', async () => {
  const sent = [];
  const gate = live.createHoverGate((seq, q) => sent.push({ seq, q }));
  const p1 = gate.hover('a');
  const p2 = gate.hover('b');
  const p3 = gate.hover('c');
  assert.deepEqual(sent.map((s) => s.q), ['a']);
  assert.equal(gate.pendingCount, 1);
  assert.deepEqual(await p2, { superseded: true, query: 'b' });
  assert.equal(gate.answer(99, 'bogus'), false);
  // 'a' answered while 'c' waits: 'c' is sent, 'a' is not painted (it is no longer current).
  assert.equal(gate.answer(sent[0].seq, 'A'), false);
  assert.equal((await p1).superseded, true);
  assert.deepEqual(sent.map((s) => s.q), ['a', 'c']);
  assert.equal(gate.answer(sent[0].seq, 'A again'), false);
  assert.equal(gate.answer(sent[1].seq, 'C'), true);
  assert.deepEqual(await p3, { superseded: false, query: 'c', payload: 'C' });
  assert.equal(gate.pendingCount, 0);
});

test('decodeMapsFrame reads seq, shape and float32 maps; valueAt indexes [i][y][x]; short frames named', () => {
  const n = 3, h = 2, w = 5, buf = new ArrayBuffer(16 + n * h * w * 4), v = new DataView(buf);
  [7, n, h, w].forEach((x, k) => v.setUint32(4 * k, x, true));
  const want = [];
  for (let k = 0; k < n * h * w; k++) { want.push(Math.fround(Math.sin(k) * 3)); v.setFloat32(16 + 4 * k, want[k], true); }
  const f = live.decodeMapsFrame(buf);
  assert.deepEqual([f.seq, f.n, f.h, f.w], [7, n, h, w]);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    assert.equal(live.valueAt(f, i, y, x), want[(i * h + y) * w + x]);
  }
  assert.equal(live.valueAt(f, n, 0, 0), undefined);
  assert.throws(() => live.decodeMapsFrame(new ArrayBuffer(8)), /8 bytes; the header needs 16/);
  assert.throws(() => live.decodeMapsFrame(buf.slice(0, 20)), /3x2x5 needs 136/);
});
