// Unit tests of the viewer's pixel functions (viewer-core.js): colour-table lookup, blending, nearest and
// bilinear upsampling, the focus outline, NMF group shading and the colour scale. Each expectation is the
// daemon's formula (README, OverlayBlending) restated per pixel here, or hand arithmetic shown beside it.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const core = require(path.join(__dirname, '../../Sources/SimlayService/Viewer/Resources/viewer-core.js'));

const grid = (height, width) => ({ name: 'g', height, width });
const rgba = (w, h, f) => Uint8ClampedArray.from({ length: w * h * 4 }, (_, k) => (k % 4 === 3 ? 255 : f(k)));
const mask = opacity => core.styleOf({ opacity });
const ramp = Array.from({ length: 768 }, (_, k) => (k * 37) % 256);  // a colour table with distinct entries

test('styleOf: no table is the mask; keep is 1 - opacity', () => {
  assert.deepEqual(core.styleOf({ opacity: 0.6 }), { table: null, opacity: 0.6, keep: 1 - 0.6 });
  assert.equal(core.styleOf({ opacity: 1, colormapTable: ramp }).table, ramp);
});

test('tableOffset is matplotlib\'s bin floor(v * 256), with 1 in the last bin', () => {
  assert.equal(core.tableOffset(0), 0);
  assert.equal(core.tableOffset(1 / 256 - 1e-9), 0);
  assert.equal(core.tableOffset(1 / 256), 3);
  assert.equal(core.tableOffset(0.5), 128 * 3);
  assert.equal(core.tableOffset(255.5 / 256), 255 * 3);
  assert.equal(core.tableOffset(1), 255 * 3);
  assert.equal(core.tableOffset(-0.1), 0);
});

test('blendPixel: the mask darkens by 1 - opacity * (1 - v); colour maps mix with the table; rounded half up', () => {
  const o = new Uint8ClampedArray(4), s = Uint8ClampedArray.of(200, 100, 1, 255);
  core.blendPixel(o, s, 0, 0, mask(0.6));
  assert.deepEqual(Array.from(o), [80, 40, 0, 255]);        // 200 * 0.4 = 80, 100 * 0.4 = 40, 0.4 + 0.5 -> 0
  core.blendPixel(o, s, 1, 0, mask(0.6));
  assert.deepEqual(Array.from(o), [200, 100, 1, 255]);
  core.blendPixel(o, s, 0.5, 0, mask(0.5));
  assert.deepEqual(Array.from(o), [150, 75, 1, 255]);       // factor 0.75: 150, 75, 0.75 + 0.5 -> 1
  const style = core.styleOf({ opacity: 0.25, colormapTable: ramp });
  for (const v of [0, 0.3, 0.999, 1]) {
    core.blendPixel(o, s, v, 0, style);
    const k = Math.min(Math.floor(v * 256), 255) * 3;
    assert.deepEqual(Array.from(o), [0, 1, 2].map(c => Math.floor(s[c] * 0.75 + ramp[k + c] * 0.25 + 0.5)).concat(255));
  }
});

test('bilinearAxis samples pixel centres, clamped at both edges', () => {
  // 2 cells over 4 pixels: s = (p + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamped to 0, 0.25, 0.75, 1.
  const a = core.bilinearAxis(2, 4);
  assert.deepEqual(Array.from(a.i0), [0, 0, 0, 1]);
  assert.deepEqual(Array.from(a.i1), [1, 1, 1, 1]);
  assert.deepEqual(Array.from(a.t), [0, 0.25, 0.75, 0]);
  const same = core.bilinearAxis(5, 5);  // one pixel per cell: exactly the cells
  assert.deepEqual(Array.from(same.i0), [0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(same.t), [0, 0, 0, 0, 0]);
  const one = core.bilinearAxis(1, 3);
  assert.deepEqual([Array.from(one.i0), Array.from(one.i1), Array.from(one.t)], [[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
});

test('shadeTile, nearest: every pixel takes the cell floor(p * H / size), on tiles of any proportion', () => {
  for (const [gh, gw, w, h] of [[2, 3, 7, 5], [14, 14, 256, 192], [3, 1, 2, 10]]) {
    const n = Float32Array.from({ length: gh * gw }, (_, c) => (c + 1) / (gh * gw));
    const s = rgba(w, h, k => (k * 13) % 256), o = new Uint8ClampedArray(w * h * 4);
    core.shadeTile(o, s, n, grid(gh, gw), w, h, mask(0.7), null);
    const e = new Uint8ClampedArray(4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const cell = Math.floor(y * gh / h) * gw + Math.floor(x * gw / w), i = (y * w + x) * 4;
      core.blendPixel(e, s.subarray(i, i + 4), n[cell], 0, mask(0.7));
      assert.deepEqual(Array.from(o.subarray(i, i + 4)), Array.from(e), `grid ${gh}x${gw}, tile ${w}x${h}, pixel (${x}, ${y})`);
    }
  }
});

test('shadeTile, bilinear: constant values stay constant; a ramp across cells rises monotonically', () => {
  const g = grid(2, 2), w = 8, h = 4, axes = { ay: core.bilinearAxis(2, h), ax: core.bilinearAxis(2, w) };
  const s = rgba(w, h, () => 200), o = new Uint8ClampedArray(w * h * 4);
  core.shadeTile(o, s, Float32Array.of(0.5, 0.5, 0.5, 0.5), g, w, h, mask(1), axes);
  for (let k = 0; k < w * h * 4; k += 4) assert.equal(o[k], 100);  // 200 * (0 + 1 * 0.5)
  core.shadeTile(o, s, Float32Array.of(0, 1, 0, 1), g, w, h, mask(1), axes);
  const row = Array.from({ length: w }, (_, x) => o[(1 * w + x) * 4]);
  // x = 0, 1 sit left of the first centre (clamped): 0; x = 6, 7 right of the last: 200; between, t = 1/8, 3/8, ...
  assert.deepEqual(row, [0, 0, 25, 75, 125, 175, 200, 200]);
});

test('outlineBox is exactly the pixels the nearest rule gives the cell; thickness 1 under 64 pixels', () => {
  for (const [gh, gw, w, h] of [[14, 14, 256, 171], [28, 28, 200, 200], [7, 7, 50, 63], [3, 5, 64, 64]]) {
    for (let gy = 0; gy < gh; gy++) for (let gx = 0; gx < gw; gx++) {
      const b = core.outlineBox(w, h, gy, gx, gh, gw);
      for (let x = 0; x < w; x++) assert.equal(Math.floor(x * gw / w) === gx, x >= b.x0 && x < b.x1, `x ${x} cell ${gx}`);
      for (let y = 0; y < h; y++) assert.equal(Math.floor(y * gh / h) === gy, y >= b.y0 && y < b.y1, `y ${y} cell ${gy}`);
      assert.equal(b.t, Math.min(w, h) < 64 ? 1 : 2);
    }
  }
});

test('drawOutline paints a yellow ring of the box\'s thickness and leaves its inside alone', () => {
  const w = 10, h = 8, o = rgba(w, h, () => 7);
  const b = { x0: 2, x1: 8, y0: 1, y1: 7, t: 2 };
  core.drawOutline(o, w, b);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const inBox = x >= 2 && x < 8 && y >= 1 && y < 7, inside = x >= 4 && x < 6 && y >= 3 && y < 5;
    const px = Array.from(o.subarray((y * w + x) * 4, (y * w + x) * 4 + 4));
    assert.deepEqual(px, inBox && !inside ? [255, 255, 0, 255] : [7, 7, 7, 255], `pixel (${x}, ${y})`);
  }
});

test('hexRGB reads #rrggbb and refuses anything else', () => {
  assert.deepEqual(core.hexRGB('#4e79a7'), [0x4e, 0x79, 0xa7]);
  assert.deepEqual(core.hexRGB('#FFFFFF'), [255, 255, 255]);
  for (const bad of ['4e79a7', '#4e79a', 'red', '#4e79a7;x']) assert.throws(() => core.hexRGB(bad), /not #rrggbb/);
});

test('shadeGroup colours the group\'s positions by strength and dims the rest, per image', () => {
  // Two images of a 1x2 grid; image 1 has groups [2, 0] with strengths 255 and 51; tile 4x2 pixels.
  const nmf = { k: 3, height: 1, width: 2, palette: ['#000000', '#ff0000', '#0000ff'],
                groups: [0, 1, 2, 0], strength: [9, 9, 255, 51] };
  const w = 4, h = 2, s = rgba(w, h, () => 100), o = new Uint8ClampedArray(w * h * 4);
  core.shadeGroup(o, s, nmf, 1, 2, w, h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const px = Array.from(o.subarray((y * w + x) * 4, (y * w + x) * 4 + 4));
    // Left half: group 2, a = 0.9: 100 * 0.1 = 10 for red and green, 10 + 255 * 0.9 = 239.5 -> 240 for blue.
    // Right half: group 0, dimmed: 35.
    assert.deepEqual(px, x < 2 ? [10, 10, 240, 255] : [35, 35, 35, 255], `pixel (${x}, ${y})`);
  }
  core.shadeGroup(o, s, nmf, 1, 0, w, h);  // a = 0.9 * 51 / 255 = 0.18: 100 * 0.82 = 82 on black
  assert.deepEqual(Array.from(o.subarray(12, 16)), [82, 82, 82, 255]);
  assert.deepEqual(Array.from(o.subarray(0, 4)), [35, 35, 35, 255]);
});

test('colourBar runs from 0 to 1 over its width, blended over white', () => {
  const bar = core.colourBar(mask(0.6), 128);
  assert.equal(bar.length, 128 * 4);
  assert.deepEqual(Array.from(bar.subarray(0, 4)), [102, 102, 102, 255]);  // 255 * 0.4 = 102
  assert.deepEqual(Array.from(bar.subarray(127 * 4)), [255, 255, 255, 255]);
  const style = core.styleOf({ opacity: 1, colormapTable: ramp }), lut = core.colourBar(style, 128);
  for (let x = 0; x < 128; x++) {
    const k = core.tableOffset(x / 127);
    assert.deepEqual(Array.from(lut.subarray(x * 4, x * 4 + 3)), ramp.slice(k, k + 3), `x ${x}`);
  }
  assert.deepEqual(Array.from(core.colourBar(mask(0.6), 1)), [102, 102, 102, 255]);
});
