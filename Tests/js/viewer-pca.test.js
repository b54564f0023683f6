// Unit tests of the viewer's PCA mode (export-html --pca): the colours' length check, the nearest
// scaling of the Pca RPC's cell colours to a tile (the daemon's DaemonState.nearest rule, restated per
// pixel here), the mode's transitions (viewer-state.js: button/C key, exclusive with an NMF group,
// Escape), and its texts (explained variance per component). Also loads viewer-pca.js as the page does.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const dir = path.join(__dirname, '../../Sources/SimlayService/Viewer/Resources');
const P = require(path.join(dir, 'viewer-pca.js'));
const S = require(path.join(dir, 'viewer-state.js'));

// Two images of a 2 x 3 grid: cell (y, x) of image i has colour [10 i + 3 y + x, 100 + that, 200 - that].
const colourBytes = Uint8Array.from({ length: 2 * 6 * 3 }, (_, k) => {
  const cell = Math.floor(k / 3), i = Math.floor(cell / 6), y = Math.floor((cell % 6) / 3), x = cell % 3;
  const v = 10 * i + 3 * y + x;
  return [v, 100 + v, 200 - v][k % 3];
});
const pca = { layer: 'blocks.10', height: 2, width: 3, channels: 320, components: 4,
              explainedVariance: [0.3125, 0.1, 0.05, 0.0249], colors: Buffer.from(colourBytes).toString('base64') };
const page = {
  version: 1, model: 'm', metric: 'cosine', colormap: 'mask', images: [{ name: 'a.png' }, { name: 'b <i>.png' }],
  layers: [{ name: 'blocks.10', height: 2, width: 3 }], nmf: { layer: 'blocks.10', k: 2, groups: [], palette: ['#111111'] }, pca,
};
const dims = S.dimensions(page);

test('pcaColours: the embedded bytes, refused when not images x H x W x 3', () => {
  assert.deepEqual(Array.from(P.pcaColours(pca, 2)), Array.from(colourBytes));
  assert.throws(() => P.pcaColours(pca, 3), /PCA at blocks\.10: 36 colour bytes, expected 54 \(3 images × 2×3 × 3\)/);
});

test('shadePca: pixel (px, py) takes cell (floor(py * H / h), floor(px * W / w)), opaque', () => {
  const colours = P.pcaColours(pca, 2);
  for (const [w, h] of [[7, 5], [3, 2], [11, 13]]) {
    const o = new Uint8ClampedArray(w * h * 4);
    P.shadePca(o, colours, pca, 1, w, h);
    for (let py = 0; py < h; py++) for (let px = 0; px < w; px++) {
      const y = Math.floor(py * 2 / h), x = Math.floor(px * 3 / w), v = 10 + 3 * y + x, p = (py * w + px) * 4;
      assert.deepEqual(Array.from(o.slice(p, p + 4)), [v, 100 + v, 200 - v, 255], `${w}x${h} pixel ${px},${py}`);
    }
  }
  // By hand: on a 7 x 5 tile, pixel (6, 4) is in cell (floor(8 / 5), floor(18 / 7)) = (1, 2) of image 0.
  const o = new Uint8ClampedArray(7 * 5 * 4);
  P.shadePca(o, colours, pca, 0, 7, 5);
  assert.deepEqual(Array.from(o.slice((4 * 7 + 6) * 4, (4 * 7 + 6) * 4 + 3)), [5, 105, 195]);
  assert.deepEqual(P.colourAt(colours, pca, 1, 1, 2), [15, 115, 185]);
});

test('the PCA mode: set, toggled (key C only on a page with PCA), exclusive with a group, left by Escape', () => {
  let s = S.reduce(S.initialState(), { type: 'loaded' }, dims);
  assert.equal(s.pca, false);
  assert.deepEqual(S.keyAction(s, 'c', dims), { type: 'togglePca' });
  assert.deepEqual(S.keyAction(s, 'C', dims), { type: 'togglePca' });
  assert.equal(S.keyAction(s, 'c', S.dimensions({ ...page, pca: undefined })), null);
  assert.deepEqual(S.keyAction(s, 'p', dims), { type: 'togglePin' });  // P stays the pin
  s = S.reduce(S.reduce(s, { type: 'selectGroup', group: 1 }, dims), { type: 'togglePca' }, dims);
  assert.equal(s.pca, true);
  assert.equal(s.group, -1);  // one picture per tile: the PCA replaces the group highlight
  assert.notEqual(S.focusKey(s, page.layers), S.focusKey({ ...s, pca: false }, page.layers));
  assert.equal(S.reduce(s, { type: 'togglePca' }, dims).pca, false);
  const grouped = S.reduce(s, { type: 'selectGroup', group: 0 }, dims);
  assert.deepEqual([grouped.pca, grouped.group], [false, 0]);
  assert.equal(S.reduce(s, { type: 'selectGroup', group: -1 }, dims).pca, true);
  const esc = S.reduce({ ...s, pinned: true }, { type: 'escape' }, dims);
  assert.deepEqual([esc.pca, esc.pinned, esc.group], [false, false, -1]);
  assert.throws(() => S.reduce(s, { type: 'setPca', on: 1 }, dims), /PCA mode 1 is not true or false/);
  assert.throws(() => S.reduce(s, { type: 'setPca', on: true }, S.dimensions({ ...page, pca: undefined })),
                /this page has no PCA mode \(export with --pca\)/);
});

test('texts: each component\'s explained variance in the caption and, in the PCA mode, the status line', () => {
  assert.equal(S.pcaVariance(pca), 'PC1 31.3% · PC2 10.0% · PC3 5.0% · PC4 2.5%');
  assert.equal(S.pcaCaption(pca),
               'PCA at blocks.10 (2×3×320, fitted over all images; R = PC1, G = PC2, B = PC3), explained variance: ' +
               'PC1 31.3% · PC2 10.0% · PC3 5.0% · PC4 2.5%');
  assert.match(S.pcaCaption({ ...pca, components: 1, explainedVariance: [0.5], foregroundThreshold: 0 }),
               /R = PC1; black: PC1 ≤ 0 \(background\)\), explained variance: PC1 50\.0%$/);
  const s = { ...S.reduce(S.initialState(), { type: 'setPca', on: true }, dims), loaded: true };
  const status = S.statusHTML({ ...page, pca: { ...pca, layer: 'a<b' } }, s, 0.5);
  assert.ok(status.endsWith(' — showing PCA at a&lt;b: PC1 31.3% · PC2 10.0% · PC3 5.0% · PC4 2.5%'), status);
  assert.ok(!S.statusHTML(page, { ...s, pca: false }, 0.5).includes('PCA'));
});

test('in a page (plain scripts, no module) viewer-pca.js defines SimlayViewerPca on SimlayViewerCore', () => {
  const sandbox = { atob };
  vm.createContext(sandbox);
  for (const file of ['viewer-core.js', 'viewer-state.js', 'viewer-pca.js']) {
    vm.runInContext(fs.readFileSync(path.join(dir, file), 'utf8'), sandbox, { filename: file });
  }
  assert.deepEqual(Object.keys(sandbox.SimlayViewerPca).sort(), Object.keys(P).sort());
  assert.equal(sandbox.SimlayViewerPca.pcaColours(pca, 2).length, 36);
});
