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

/** A frame as the /ws socket writes it: seq, metaBytes, the JSON padded with spaces, the rows' maps. */
function frame(seq, rows, values, pad = true) {
  let json = JSON.stringify({ rows });
  if (pad) while (Buffer.byteLength(json) % 4) json += ' ';
  const meta = Buffer.from(json), buf = new ArrayBuffer(8 + Math.ceil(meta.length / 4) * 4 + 4 * values.length);
  const v = new DataView(buf);
  v.setUint32(0, seq, true); v.setUint32(4, meta.length, true);
  new Uint8Array(buf, 8, meta.length).set(meta);
  const at = 8 + Math.ceil(meta.length / 4) * 4;
  values.forEach((x, k) => v.setFloat32(at + 4 * k, x, true));
  return buf;
}

test('decodeMapsFrame reads seq, metadata and the float32 maps of every row; valueAt indexes [i][y][x]', () => {
  const rows = [{ layer: 'blocks.10', n: 3, h: 2, w: 5, queryCells: { y1: 1, x1: 1 }, top: [{ image: 1, y: 0, x: 2, value: 0.5 }] },
                { layer: 'blocks.4', n: 3, h: 4, w: 1, warnings: ['zero vector'] }];
  const want = [];
  for (let k = 0; k < 3 * 2 * 5 + 3 * 4 * 1; k++) want.push(Math.fround(Math.sin(k) * 3));
  const f = live.decodeMapsFrame(frame(7, rows, want));
  assert.equal(f.seq, 7);
  assert.equal(f.rows.length, 2);
  assert.deepEqual(f.rows[0].top, rows[0].top);
  assert.deepEqual(f.rows[1].warnings, ['zero vector']);
  for (let i = 0; i < 3; i++) for (let y = 0; y < 2; y++) for (let x = 0; x < 5; x++) {
    assert.equal(live.valueAt(f.rows[0], i, y, x), want[(i * 2 + y) * 5 + x]);
  }
  for (let i = 0; i < 3; i++) for (let y = 0; y < 4; y++) assert.equal(live.valueAt(f.rows[1], i, y, 0), want[30 + i * 4 + y]);
  assert.equal(live.valueAt(f.rows[0], 3, 0, 0), undefined);
  assert.equal(live.valueAt(f.rows[0], 0, 2, 0), undefined);
  // An unpadded metadata length is read up to the next multiple of 4 as well.
  const g = live.decodeMapsFrame(frame(8, [{ layer: 'x', n: 1, h: 1, w: 2 }], [1.5, -2], false));
  assert.deepEqual([...g.rows[0].maps], [1.5, -2]);
});

test('decodeMapsFrame names what is wrong with a bad frame', () => {
  assert.throws(() => live.decodeMapsFrame(new ArrayBuffer(4)), /4 bytes; the header needs 8/);
  const ok = frame(3, [{ layer: 'a', n: 2, h: 2, w: 2 }], new Array(8).fill(0));
  assert.throws(() => live.decodeMapsFrame(ok.slice(0, ok.byteLength - 4)), /rows 2x2x2 need/);
  const big = new ArrayBuffer(12); new DataView(big).setUint32(4, 100, true);
  assert.throws(() => live.decodeMapsFrame(big), /announces 100 bytes of metadata/);
  const bad = new ArrayBuffer(12); new DataView(bad).setUint32(4, 4, true); new Uint8Array(bad, 8, 4).set([123, 123, 32, 32]);
  assert.throws(() => live.decodeMapsFrame(bad), /metadata is not JSON/);
  const none = new ArrayBuffer(12); new DataView(none).setUint32(4, 4, true); new Uint8Array(none, 8, 4).set(Buffer.from('{}  '));
  assert.throws(() => live.decodeMapsFrame(none), /has no rows/);
});
