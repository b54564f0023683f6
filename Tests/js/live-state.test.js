// Unit tests of the live view's pure state (Sources/SimlayLive/Resources/live-state.js) and its analysis
// drawing (live-core.js: NMF, PCA, sweep chart): the address, rows and their cells, the hover requests
// as proto3 JSON, overlay pixels against the static viewer's blend formula, tensors from proto3 JSON.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const R = path.join(__dirname, '../../Sources');
const LS = require(path.join(R, 'SimlayLive/Resources/live-state.js'));
const live = require(path.join(R, 'SimlayLive/Resources/live-core.js'));
const core = require(path.join(R, 'SimlayService/Viewer/Resources/viewer-core.js'));

const MODELS = {
  defaultModel: 'efficientnet-lite0',
  models: [
    { name: 'efficientnet-lite0', layers: [{ name: 'blocks.4', height: 28, width: 28 }, { name: 'blocks.10', height: 14, width: 14 }, { name: 'head', height: 7, width: 7 }] },
    { name: 'other', layers: [{ name: 'layer3', height: 16, width: 16 }, { name: 'layer4', height: 8, width: 8 }] },
  ],
};

test('parseAddress reads the contract parameters and names a bad one', () => {
  const s = LS.parseAddress('?images=a1,b2,,c3&layer=blocks.10&token=T');
  assert.deepEqual(s.images, ['a1', 'b2', 'c3']);
  assert.deepEqual(s.layers, ['blocks.10']);
  assert.equal(s.token, 'T');
  assert.equal(s.metric, 'cosine'); assert.equal(s.colormap, 'viridis'); assert.equal(s.topK, 5);
  const t = LS.parseAddress('?images=a&layers=blocks.4,blocks.10&model=m&metric=dot&colormap=mask&compare=other:layer4,x:y:z&top=0');
  assert.deepEqual(t.layers, ['blocks.4', 'blocks.10']);
  assert.deepEqual(t.compare, [{ model: 'other', layer: 'layer4' }, { model: 'x:y', layer: 'z' }]);
  assert.deepEqual([t.model, t.metric, t.colormap, t.topK, t.token], ['m', 'dot', 'mask', 0, null]);
  assert.throws(() => LS.parseAddress('?metric=manhattan'), /metric 'manhattan' is not one of cosine, dot, euclidean/);
  assert.throws(() => LS.parseAddress('?compare=nolayer'), /compare entry 'nolayer' is not MODEL:LAYER/);
  assert.throws(() => LS.parseAddress('?top=2.5'), /top '2.5'/);
});

test('addressFor round-trips through parseAddress and never holds the token', () => {
  const s = LS.parseAddress('?images=a,b&layers=blocks.4,blocks.10&metric=euclidean&colormap=magma&compare=other:layer4&top=7&token=secret');
  const back = LS.addressFor(s);
  assert.ok(!back.includes('secret') && !back.includes('token'), back);
  const again = LS.parseAddress(back);
  for (const k of ['images', 'layers', 'metric', 'colormap', 'compare', 'topK']) assert.deepEqual(again[k], s[k], k);
  assert.equal(LS.addressFor(LS.parseAddress('?images=a&layer=blocks.10')), '?images=a&layer=blocks.10');
});

test('defaultLayer: blocks.10 when present, else the last grid nearest 14x14', () => {
  assert.equal(LS.defaultLayer(MODELS.models[0]), 'blocks.10');
  assert.equal(LS.defaultLayer(MODELS.models[1]), 'layer3');
  assert.throws(() => LS.defaultLayer({ name: 'x', layers: [] }), /model x has no grid layers/);
});

test('rowsFor: the layers of the page model, then the comparison rows; unknown names named', () => {
  const rows = LS.rowsFor({ model: '', layers: ['blocks.10', 'blocks.4'], compare: [{ model: 'other', layer: 'layer4' }] }, MODELS);
  assert.deepEqual(rows.map((r) => [r.model, r.layer, r.h, r.w]),
                   [['efficientnet-lite0', 'blocks.10', 14, 14], ['efficientnet-lite0', 'blocks.4', 28, 28], ['other', 'layer4', 8, 8]]);
  assert.throws(() => LS.rowsFor({ model: 'nope', layers: ['a'], compare: [] }, MODELS), /model 'nope' is not loaded \(the daemon has efficientnet-lite0, other\)/);
  assert.throws(() => LS.rowsFor({ model: '', layers: ['blocks.99'], compare: [] }, MODELS), /no layer 'blocks.99'/);
});

test('cellsFor maps one image point to every row by floor(f * cells); pointOfCell is its inverse', () => {
  const rows = LS.rowsFor({ model: '', layers: ['blocks.10', 'blocks.4', 'head'], compare: [] }, MODELS);
  for (let y = 0; y < 14; y++) for (let x = 0; x < 14; x++) {
    const p = LS.pointOfCell(rows[0], y, x), cells = LS.cellsFor(rows, p.fy, p.fx);
    assert.deepEqual(cells[0], { y, x });
    // The centre of a 14-grid cell lies in cell floor((y + 0.5) * 2) of the 28-grid and floor(... / 2) of the 7-grid.
    assert.deepEqual(cells[1], { y: 2 * y + 1, x: 2 * x + 1 });
    assert.deepEqual(cells[2], { y: Math.floor(y / 2), x: Math.floor(x / 2) });
  }
  assert.deepEqual(LS.cellsFor(rows, 0.999999, 1.5)[0], { y: 13, x: 13 });
  assert.throws(() => LS.pointOfCell(rows[0], 14, 0), /cell \(14, 0\) is outside blocks.10's 14x14 grid/);
  assert.throws(() => LS.pointOfCell(rows[0], 1.5, 0), /outside/);
});

test('hoverRequests: one SimilarityRequest per row in proto3 JSON, each with its own model ids', () => {
  const rows = LS.rowsFor({ model: '', layers: ['blocks.10'], compare: [{ model: 'other', layer: 'layer4' }] }, MODELS);
  const ids = [['e0', 'e1'], ['o0', 'o1']];
  const reqs = LS.hoverRequests(rows, ids, 1, [{ y: 3, x: 4 }, { y: 1, x: 2 }], { metric: 'euclidean', topK: 5 });
  assert.deepEqual(reqs, [
    { model: 'efficientnet-lite0', layer: 'blocks.10', query: { imageId: 'e1', cell: { y: 3, x: 4 } }, targetIds: ['e0', 'e1'],
      metric: 'METRIC_EUCLIDEAN', topK: 5, excludeRadius: 1 },
    { model: 'other', layer: 'layer4', query: { imageId: 'o1', cell: { y: 1, x: 2 } }, targetIds: ['o0', 'o1'],
      metric: 'METRIC_EUCLIDEAN', topK: 5, excludeRadius: 1 },
  ]);
  const none = LS.hoverRequests(rows.slice(0, 1), ids, 0, [{ y: 0, x: 0 }], { metric: 'cosine', topK: 0 });
  assert.ok(!('topK' in none[0]) && !('excludeRadius' in none[0]));
  assert.equal(none[0].metric, 'METRIC_COSINE');
  assert.notEqual(LS.queryKey(0, [{ y: 1, x: 2 }]), LS.queryKey(0, [{ y: 2, x: 1 }]));
  assert.notEqual(LS.queryKey(0, [{ y: 1, x: 2 }]), LS.queryKey(1, [{ y: 1, x: 2 }]));
});

test('overlayPixels composited over a photo pixel equals the daemon blend (blendPixel) within one level', () => {
  const table = new Uint8Array(768); for (let i = 0; i < 768; i++) table[i] = (i * 37 + 11) % 256;
  for (const [tab, opacity] of [[table, 0.6], [null, 0.6], [table, 1], [null, 0.35]]) {
    const style = { table: tab, opacity, keep: 1 - opacity };
    const n = new Float32Array(200); for (let c = 0; c < n.length; c++) n[c] = c === 0 ? 1 : (Math.sin(c * 7.1) + 1) / 2;
    const out = LS.overlayPixels(new Uint8ClampedArray(4 * n.length), n, tab, opacity);
    for (let c = 0; c < n.length; c++) {
      const src = [(c * 13) % 256, (c * 101) % 256, 255 - c], s = new Uint8ClampedArray([...src, 255]), want = new Uint8ClampedArray(4);
      core.blendPixel(want, s, n[c], 0, style);
      const a = out[4 * c + 3] / 255;
      for (let k = 0; k < 3; k++) {
        const got = Math.round(src[k] * (1 - a) + out[4 * c + k] * a);
        assert.ok(Math.abs(got - want[k]) <= 1, `cell ${c} channel ${k}: ${got} vs ${want[k]} (opacity ${opacity}, ${tab ? 'table' : 'mask'})`);
      }
    }
  }
});

test('floatTensor decodes proto3 JSON (int64 shape as strings, base64 float32 LE) and names a short one', () => {
  const f = new Float32Array([1.5, -2.25, 3e-7, NaN, 7, 8]), b64 = Buffer.from(f.buffer).toString('base64');
  const t = LS.floatTensor({ shape: ['2', '3'], data: b64 }, 'maps');
  assert.deepEqual(t.shape, [2, 3]);
  assert.deepEqual([...t.data].slice(0, 3), [...f].slice(0, 3));
  assert.ok(Number.isNaN(t.data[3]));
  assert.throws(() => LS.floatTensor({ shape: ['4', '3'], data: b64 }, 'Pca colors'), /Pca colors: 24 bytes for shape \[4,3\] \(needs 48\)/);
  const bytes = new Uint8Array(70000); for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 255;
  assert.equal(LS.base64Of(bytes), Buffer.from(bytes).toString('base64'));
  assert.throws(() => LS.checkImageCount(65, { maxImagesPerRequest: 64 }), /65 images: the daemon takes at most 64 per request/);
  LS.checkImageCount(64, { maxImagesPerRequest: 64 });
  assert.equal(LS.fmt(undefined), '–'); assert.equal(LS.fmt(0.12345), '0.123');
});

test('nmfPixels colours each cell by group and strength; a highlight dims the rest; counts per group', () => {
  const groups = [0, 1, 2, 1, /* image 1 */ 2, 2, 0, 1], strength = [1, 0.5, 0, 0.25, 1, 1, 1, 1];
  const palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];
  const all = live.nmfPixels(new Uint8ClampedArray(16), groups, strength, 0, 4, palette, -1);
  assert.deepEqual([...all], [255, 0, 0, 230, 0, 255, 0, 115, 0, 0, 255, 0, 0, 255, 0, 57]);
  const one = live.nmfPixels(new Uint8ClampedArray(16), groups, strength, 1, 4, palette, 2);
  assert.deepEqual([...one], [0, 0, 255, 230, 0, 0, 255, 230, 0, 0, 0, 166, 0, 0, 0, 166]);
  assert.deepEqual(live.groupCounts(groups, 3), [2, 3, 3]);
  const pca = live.pcaPixels(new Uint8ClampedArray(8), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 1, 2);
  assert.deepEqual([...pca], [7, 8, 9, 255, 10, 11, 12, 255]);
});

test('sweepChart: points on the axes, out-of-bounds steps break the line, y range holds [0, 1]', () => {
  const g = live.sweepChart([0, 90, 180, 270], [1, 0.5, NaN, -0.2], 400, 200, 20);
  assert.equal(g.points[0].x, 20); assert.equal(g.points[3].x, 380);
  assert.equal(g.lo, -0.2); assert.equal(g.hi, 1);
  assert.equal(g.points[0].y, 20); assert.equal(g.points[3].y, 180);
  assert.equal(g.points[2].y, null);
  assert.equal((g.d.match(/M/g) || []).length, 2, g.d);
  assert.deepEqual(g.xTicks.map((t) => t.label), ['0', '90', '180', '270']);
  assert.throws(() => live.sweepChart([1, 2], [1], 10, 10), /2 parameters but 1 values/);
});

test('uploadBatches keeps each AddImages message under the limit, in order; names a file too big alone', () => {
  const files = [300, 300, 300, 700, 10].map((kb, k) => ({ size: kb * 1000, name: `f${k}.png` }));
  assert.deepEqual(LS.uploadBatches(files, 1 << 20), [[0, 1], [2], [3, 4]]);
  assert.deepEqual(LS.uploadBatches(files, 0), [[0, 1, 2, 3, 4]]);  // no limit known
  assert.deepEqual(LS.uploadBatches(files, 64 << 20), [[0, 1, 2, 3, 4]]);
  for (const batch of LS.uploadBatches(files, 1 << 20)) {
    assert.ok(batch.reduce((a, k) => a + Math.ceil(files[k].size / 3) * 4 + 200, 100) <= 1 << 20);
  }
  assert.throws(() => LS.uploadBatches([{ size: 2e6, name: 'big.jpg' }], 1 << 20), /big.jpg: 2.5 MiB as a message; the daemon takes 1.0 MiB/);
});
