// Unit tests of the viewer's state transitions and texts (viewer-state.js): pointer, click/pin, hover()
// and its checks, the keyboard, NMF group selection and numbering (0-based, as the Nmf RPC, the CLI and
// the PNG legend: issue 14), the status line's escaping. Also loads both pure files the way the page does
// (as plain scripts, no `module`), to check the browser branch of their wrappers.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const dir = path.join(__dirname, '../../Sources/SimlayService/Viewer/Resources');
const S = require(path.join(dir, 'viewer-state.js'));

const page = {
  version: 1, model: 'efficientnet-lite0', metric: 'cosine', colormap: 'mask',
  images: [{ name: 'cat.png' }, { name: '<img src=x onerror=alert(1)>.jpg' }, { name: 'dog & co.jpg' }],
  layers: [{ name: 'blocks.10', height: 14, width: 14 }, { name: 'blocks.4', height: 28, width: 28 }],
  nmf: { layer: 'blocks.10', k: 3, relativeError: 0.41237, palette: ['#111111', '#222222'], groups: [2, 0, 2, -1, 2, 3] },
};
const dims = S.dimensions(page);
const deepFreeze = o => { Object.values(o).forEach(v => typeof v === 'object' && v !== null && deepFreeze(v)); return Object.freeze(o); };
const run = (actions, s = S.initialState()) => actions.reduce((st, a) => S.reduce(deepFreeze(st), a, dims), s);

test('the initial state: centre of image 0, not loaded, not pinned, no group', () => {
  const s = S.initialState();
  assert.deepEqual(s, { loaded: false, pinned: false, group: -1, pca: false, focus: { image: 0, fy: 0.5, fx: 0.5, layer: 0 },
                        cursor: { image: 0, fy: 0.5, fx: 0.5, layer: 0 } });
  assert.deepEqual(S.focusCells(s, page.layers), [[7, 7], [14, 14]]);
  assert.deepEqual(dims, { images: 3, layers: page.layers, k: 3, pca: false });
  assert.equal(S.dimensions({ ...page, nmf: undefined }).k, 0);
});

test('moves follow the pointer until a click pins the focus; a second click unpins', () => {
  const at = (type, image, fy, fx, layer = 0) => ({ type, image, fy, fx, layer });
  let s = run([{ type: 'loaded' }, at('move', 1, 0.2, 0.3)]);
  assert.ok(s.loaded);
  assert.deepEqual(s.focus, { image: 1, fy: 0.2, fx: 0.3, layer: 0 });
  assert.deepEqual(s.cursor, s.focus);
  s = run([at('click', 2, 0.6, 0.1, 1), at('move', 0, 0.9, 0.9)], s);
  assert.ok(s.pinned);
  assert.deepEqual(s.focus, { image: 2, fy: 0.6, fx: 0.1, layer: 1 });  // pinned where clicked
  assert.deepEqual(s.cursor, { image: 0, fy: 0.9, fx: 0.9, layer: 0 });  // the cursor still moves
  s = run([at('click', 1, 0.5, 0.5)], s);
  assert.ok(!s.pinned);
  assert.deepEqual(s.focus, { image: 2, fy: 0.6, fx: 0.1, layer: 1 });  // unpinning leaves the focus until the next move
  assert.deepEqual(run([at('move', 1, 0.5, 0.5)], s).focus, { image: 1, fy: 0.5, fx: 0.5, layer: 0 });
  assert.ok(run([{ type: 'togglePin' }], s).pinned);
});

test('hover puts focus and cursor at the centre of a cell, and refuses cells outside the page', () => {
  const s = run([{ type: 'hover', image: 2, y: 5, x: 6, layer: 0 }]);
  assert.deepEqual(s.focus, { image: 2, fy: 5.5 / 14, fx: 6.5 / 14, layer: 0 });
  assert.deepEqual(s.cursor, s.focus);
  assert.deepEqual(S.focusCells(s, page.layers), [[5, 6], [11, 13]]);  // layer sync
  assert.deepEqual(S.focusCells(run([{ type: 'hover', image: 0, y: 27, x: 0, layer: 1 }]), page.layers), [[13, 0], [27, 0]]);
  const refused = [
    [{ image: 3, y: 0, x: 0, layer: 0 }, /image 3 is outside 0..2/],
    [{ image: -1, y: 0, x: 0, layer: 0 }, /image -1 is outside 0..2/],
    [{ image: 0.5, y: 0, x: 0, layer: 0 }, /image 0.5 is outside/],
    [{ image: 0, y: 0, x: 0, layer: 2 }, /layer 2 is outside 0..1/],
    [{ image: 0, y: 14, x: 0, layer: 0 }, /cell \(14, 0\) is outside layer blocks.10's 14×14 grid/],
    [{ image: 0, y: 27, x: 28, layer: 1 }, /cell \(27, 28\) is outside layer blocks.4's 28×28 grid/],
    [{ image: 0, y: '1', x: 0, layer: 0 }, /cell \(1, 0\) is outside/],
  ];
  for (const [a, message] of refused) assert.throws(() => run([{ type: 'hover', ...a }]), e => e instanceof RangeError && message.test(e.message));
});

test('the keyboard: arrows move one cell and stop at the edges, [ and ] wrap through the images', () => {
  const from = (image, y, x, layer) => run([{ type: 'hover', image, y, x, layer }]);
  const key = (s, k) => S.keyAction(s, k, dims);
  assert.deepEqual(key(from(0, 27, 0, 1), 'ArrowRight'), { type: 'hover', image: 0, y: 27, x: 1, layer: 1 });
  assert.deepEqual(key(from(0, 27, 0, 1), 'ArrowDown'), { type: 'hover', image: 0, y: 27, x: 0, layer: 1 });
  assert.deepEqual(key(from(0, 27, 0, 1), 'ArrowLeft'), { type: 'hover', image: 0, y: 27, x: 0, layer: 1 });
  assert.deepEqual(key(from(1, 0, 13, 0), 'ArrowUp'), { type: 'hover', image: 1, y: 0, x: 13, layer: 0 });
  assert.deepEqual(key(from(1, 0, 13, 0), 'ArrowRight'), { type: 'hover', image: 1, y: 0, x: 13, layer: 0 });
  assert.deepEqual(key(from(1, 4, 4, 0), 'ArrowUp'), { type: 'hover', image: 1, y: 3, x: 4, layer: 0 });
  assert.deepEqual(key(from(0, 4, 4, 0), '['), { type: 'hover', image: 2, y: 4, x: 4, layer: 0 });
  assert.deepEqual(key(from(2, 4, 4, 0), ']'), { type: 'hover', image: 0, y: 4, x: 4, layer: 0 });
  assert.deepEqual(key(from(2, 4, 4, 0), 'p'), { type: 'togglePin' });
  assert.deepEqual(key(from(2, 4, 4, 0), 'P'), { type: 'togglePin' });
  assert.deepEqual(key(from(2, 4, 4, 0), 'Escape'), { type: 'escape' });
  for (const other of ['a', 'Enter', ' ', 'Shift']) assert.equal(key(from(2, 4, 4, 0), other), null);
  // The action a key returns is one reduce accepts: a full walk right along a row ends at the edge.
  let s = from(0, 3, 0, 0);
  for (let k = 0; k < 20; k++) s = run([key(s, 'ArrowRight')], s);
  assert.deepEqual(S.focusCells(s, page.layers)[0], [3, 13]);
});

test('NMF groups: -1..k-1 selectable, others refused; Escape unpins and clears the group', () => {
  assert.equal(run([{ type: 'selectGroup', group: 2 }]).group, 2);
  assert.equal(run([{ type: 'selectGroup', group: 0 }, { type: 'selectGroup', group: -1 }]).group, -1);
  for (const g of [3, -2, 1.5, '1']) {
    assert.throws(() => run([{ type: 'selectGroup', group: g }]), e => e instanceof RangeError && /outside -1..2/.test(e.message));
  }
  const none = S.dimensions({ ...page, nmf: undefined });
  assert.throws(() => S.reduce(S.initialState(), { type: 'selectGroup', group: 0 }, none), /no NMF groups \(export with --nmf K\)/);
  const s = run([{ type: 'click', image: 1, fy: 0.1, fx: 0.1, layer: 0 }, { type: 'selectGroup', group: 1 }, { type: 'escape' }]);
  assert.ok(!s.pinned && s.group === -1);
  assert.throws(() => run([{ type: 'jump' }]), /unknown viewer action 'jump'/);
});

test('focusKey changes with the cell, the image or the group, not within a cell', () => {
  const key = actions => S.focusKey(run(actions), page.layers);
  const move = (image, fy, fx) => ({ type: 'move', image, fy, fx, layer: 0 });
  assert.equal(key([move(0, 0.30, 0.30)]), key([move(0, 0.31, 0.31)]));  // one 28x28 cell is 0.0357 wide
  assert.notEqual(key([move(0, 0.30, 0.30)]), key([move(0, 0.30, 0.34)]));
  assert.notEqual(key([move(0, 0.30, 0.30)]), key([move(1, 0.30, 0.30)]));
  assert.notEqual(key([move(0, 0.30, 0.30)]), key([move(0, 0.30, 0.30), { type: 'selectGroup', group: 0 }]));
});

test('fmt and escapeHTML', () => {
  assert.equal(S.fmt(null), '–');
  assert.equal(S.fmt(NaN), '–');
  assert.equal(S.fmt(-Infinity), '–');
  assert.equal(S.fmt(0.12345), '0.123');
  assert.equal(S.fmt(-0.9996), '-1.000');
  assert.equal(S.fmt(999.9994), '999.999');
  assert.equal(S.fmt(1234.4), '1234');
  assert.equal(S.fmt(-1000), '-1000');
  assert.equal(S.escapeHTML(`<b class="x">Tom & Jerry's</b>`), '&lt;b class=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;');
  assert.equal(S.escapeHTML(42), '42');
});

test('subtitle and status line: names escaped, pin shown, group numbered from 0', () => {
  assert.equal(S.subtitle(page), 'efficientnet-lite0 · cosine similarity · mask · 3 images · blocks.10 (14×14), blocks.4 (28×28)');
  assert.match(S.subtitle({ ...page, images: [page.images[0]] }), / 1 image · /);
  let s = run([{ type: 'move', image: 1, fy: 0.99, fx: 0, layer: 1 }]);
  const hostile = '&lt;img src=x onerror=alert(1)&gt;.jpg';
  assert.equal(S.statusHTML(page, s, 0.87654), `Focus: <b>${hostile}</b> · blocks.10 (13, 0) · blocks.4 (27, 0)` +
    ` — under the cursor: <b>${hostile}</b> blocks.4 (27, 0) <span class="value">0.877</span>`);
  s = run([{ type: 'click', image: 0, fy: 0, fx: 0, layer: 0 }, { type: 'move', image: 2, fy: 0.5, fx: 0.5, layer: 0 },
           { type: 'selectGroup', group: 0 }]);
  assert.equal(S.statusHTML(page, s, null), '<span class="pin">Pinned</span> focus: <b>cat.png</b> · blocks.10 (0, 0) · blocks.4 (0, 0)' +
    ' — under the cursor: <b>dog &amp; co.jpg</b> blocks.10 (7, 7) <span class="value">–</span> — showing NMF group 0');
  assert.ok(S.statusHTML(page, run([{ type: 'selectGroup', group: 2 }]), 1).endsWith('showing NMF group 2'));
});

test('the NMF legend: groups 0..k-1 with their counts and cycling colours (issue 14: 0-based, as the API)', () => {
  assert.deepEqual([0, 1, 2].map(S.groupLabel), ['0', '1', '2']);
  assert.deepEqual(S.groupCounts(page.nmf.groups, 3), [1, 0, 3]);  // -1 and 3 are outside 0..2: not counted
  assert.deepEqual(S.groupCounts([], 2), [0, 0]);
  assert.deepEqual(S.legendEntries(page.nmf), [
    { group: 0, label: 'Group 0', colour: '#111111', count: 1 },
    { group: 1, label: 'Group 1', colour: '#222222', count: 0 },
    { group: 2, label: 'Group 2', colour: '#111111', count: 3 },
  ]);
  assert.equal(S.legendCaption(page.nmf), 'NMF groups at blocks.10 (k = 3, relative error 0.412); click one to highlight it:');
});

test('in a page (plain scripts, no module) the files define SimlayViewerCore and SimlayViewerState', () => {
  const sandbox = { atob };
  vm.createContext(sandbox);
  for (const file of ['viewer-core.js', 'viewer-state.js']) vm.runInContext(fs.readFileSync(path.join(dir, file), 'utf8'), sandbox, { filename: file });
  const { SimlayViewerCore: core, SimlayViewerState: state } = sandbox;
  assert.equal(typeof core.cellOf, 'function');
  assert.deepEqual(Object.keys(state).sort(), Object.keys(S).sort());
  const cells = state.focusCells(state.reduce(state.initialState(), { type: 'hover', image: 1, y: 3, x: 4, layer: 0 }, dims), page.layers);
  assert.deepEqual(JSON.parse(JSON.stringify(cells)), [[3, 4], [7, 9]]);  // arrays of the other context: compared as JSON
});
