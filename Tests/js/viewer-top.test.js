// Unit tests of the viewer's top-K boxes (viewer-core.js topMatches and drawOutline's colour): against a
// brute-force reference restated here (every cell sorted by value, then by cell number), with quantised
// rows full of ties, exclusion radii and NaN.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const core = require(path.join(__dirname, '../../Sources/SimlayService/Viewer/Resources/viewer-core.js'));

/** The reference: every cell of every image, sorted, filtered, cut to k. */
function reference(row, g, k, ex) {
  const plane = g.height * g.width, all = [];
  for (let c = 0; c < row.length; c++) {
    const image = Math.floor(c / plane), y = Math.floor((c % plane) / g.width), x = c % g.width;
    if (Number.isNaN(row[c])) continue;
    if (ex && image === ex.image) {
      let near = false;
      for (let yy = ex.y0; yy < ex.y1; yy++) for (let xx = ex.x0; xx < ex.x1; xx++) {
        if (Math.abs(yy - y) <= ex.radius && Math.abs(xx - x) <= ex.radius) near = true;
      }
      if (near) continue;
    }
    all.push({ image, y, x, value: row[c], c });
  }
  all.sort((a, b) => (b.value - a.value) || (a.c - b.c));
  return all.slice(0, k).map(({ image, y, x, value }) => ({ image, y, x, value }));
}

/** A seeded row of n values quantised to `levels` steps (many ties, as the page's 8-bit codes). */
function row(n, seed, levels) {
  const r = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; r[i] = Math.floor((s / 2 ** 32) * levels) / levels; }
  return r;
}

test('topMatches equals sorting every cell, ties by lower image, then y, then x', () => {
  const g = { height: 7, width: 5 };
  for (const [n, k, levels] of [[1, 1, 4], [3, 5, 4], [3, 35, 3], [4, 200, 255], [2, 1, 1]]) {
    const r = row(n * 35, n * 31 + k, levels);
    assert.deepEqual(core.topMatches(r, g, k, null), reference(r, g, k, null), `n=${n} k=${k} levels=${levels}`);
  }
});

test('topMatches leaves out a Chebyshev neighbourhood of the query on its own image only', () => {
  const g = { height: 6, width: 6 };
  const r = row(3 * 36, 7, 16);
  for (const ex of [{ image: 1, y0: 2, x0: 3, y1: 3, x1: 4, radius: 0 }, { image: 0, y0: 0, x0: 0, y1: 1, x1: 1, radius: 2 },
    { image: 2, y0: 1, x0: 1, y1: 3, x1: 4, radius: 1 }, { image: 1, y0: 3, x0: 3, y1: 4, x1: 4, radius: 9 }]) {
    const got = core.topMatches(r, g, 10, ex);
    assert.deepEqual(got, reference(r, g, 10, ex), JSON.stringify(ex));
    for (const m of got) {
      if (m.image !== ex.image) continue;
      const dy = Math.max(ex.y0 - m.y, 0, m.y - (ex.y1 - 1)), dx = Math.max(ex.x0 - m.x, 0, m.x - (ex.x1 - 1));
      assert.ok(Math.max(dy, dx) > ex.radius, `match ${JSON.stringify(m)} inside the exclusion`);
    }
  }
  // Radius 9 on a 6x6 grid excludes the whole image: no match from image 1 at all.
  assert.ok(core.topMatches(r, g, 108, { image: 1, y0: 3, x0: 3, y1: 4, x1: 4, radius: 9 }).every(m => m.image !== 1));
});

test('topMatches skips NaN and answers fewer than k when fewer cells are left', () => {
  const g = { height: 1, width: 4 };
  const r = Float32Array.from([0.5, NaN, 0.75, 0.5]);
  assert.deepEqual(core.topMatches(r, g, 10, null), [
    { image: 0, y: 0, x: 2, value: 0.75 }, { image: 0, y: 0, x: 0, value: 0.5 }, { image: 0, y: 0, x: 3, value: 0.5 }]);
  assert.deepEqual(core.topMatches(r, g, 0, null), []);
});

test('drawOutline paints match boxes in the colour given (cyan) and the focus in yellow by default', () => {
  const w = 8, h = 8, o = new Uint8ClampedArray(w * h * 4);
  const b = core.outlineBox(w, h, 0, 0, 2, 2);
  core.drawOutline(o, w, b, [0, 255, 255]);
  assert.deepEqual([...o.slice(0, 4)], [0, 255, 255, 255]);
  core.drawOutline(o, w, b);
  assert.deepEqual([...o.slice(0, 4)], [255, 255, 0, 255]);
  // Inside the 1-pixel ring of a 4x4 box on a tile under 64 pixels: untouched.
  const i = (1 * w + 1) * 4;
  assert.deepEqual([...o.slice(i, i + 4)], [0, 0, 0, 0]);
});
