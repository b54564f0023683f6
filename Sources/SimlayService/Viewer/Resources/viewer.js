/* Simlay viewer: the DOM around one state object. The maths and the transitions are the pure functions of
   viewer-core.js (SimlayViewerCore) and viewer-state.js (SimlayViewerState), included before this file.
   Every layer's quantised all-pairs triangle is inflated once; on every focus change each tile is
   recomputed on the CPU with the daemon's overlay formulas. Public API for scripts:
   window.simlay.hover(image, y, x[, layer]), valueAt(image, y, x[, layer]), state(), selectGroup(g),
   setPca(on) (pages made with --pca; viewer-pca.js paints its tiles), and ready (a promise). */
(() => {
  'use strict';
  const core = globalThis.SimlayViewerCore, S = globalThis.SimlayViewerState, P = globalThis.SimlayViewerPca;
  const statusEl = document.getElementById('status');
  const gridEl = document.getElementById('grid');
  const legendEl = document.getElementById('legend');
  const pcaEl = document.getElementById('pca');
  const fail = err => { statusEl.classList.add('error'); statusEl.textContent = `Cannot show the maps: ${err.message}`; throw err; };
  let D;
  try { D = core.parsePayload(document.getElementById('simlay-data').textContent); } catch (err) { fail(err); }
  const N = D.images.length, L = D.layers.length, dims = S.dimensions(D), style = core.styleOf(D);
  // Top-K boxes for the focus (cyan, as the daemon's `similarity --top`): the 5 most similar cells, the
  // focus cell and its 8 neighbours on its own image left out (a patch is always like its neighbours).
  const TOP_K = D.topK ?? 5, EXCLUDE_RADIUS = D.excludeRadius ?? 1;

  // The page's one state object (focus, cursor, pin, group, loaded); changed only through S.reduce.
  let state = S.initialState();
  // What drawing derives from the data and the state: per layer the codes, the focus's row and its range
  // (and the range's labels); per image the display image's RGBA; [layer][image] the tiles; the focus key
  // last drawn; the PCA colours (null without --pca).
  const view = { codes: [], rows: [], ranges: [], rangeEls: [], base: [], tiles: [], top: [], lastKey: '', pca: null };

  document.getElementById('subtitle').textContent = S.subtitle(D);

  async function loadImage(img) {
    const el = new Image();
    el.src = img.src;
    await el.decode();
    const c = document.createElement('canvas');
    c.width = img.displayWidth; c.height = img.displayHeight;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(el, 0, 0);
    return ctx.getImageData(0, 0, c.width, c.height).data;
  }

  function dispatch(action, force) { state = S.reduce(state, action, dims); render(force); }

  function render(force) {
    if (!state.loaded) return;
    const key = S.focusKey(state, D.layers);
    if (force || key !== view.lastKey) {
      view.lastKey = key;
      const cells = S.focusCells(state, D.layers);
      for (let l = 0; l < L; l++) {
        const g = D.layers[l];
        view.rows[l] = core.focusRow(g, view.codes[l], core.cellIndex(g, state.focus.image, cells[l][0], cells[l][1]));
        view.ranges[l] = core.rangeOf(view.rows[l], D.metric, D.colormap);
        const [y, x] = cells[l];
        view.top[l] = core.topMatches(view.rows[l], g, TOP_K,
                                      { image: state.focus.image, y0: y, x0: x, y1: y + 1, x1: x + 1, radius: EXCLUDE_RADIUS });
        view.rangeEls[l][0].textContent = S.fmt(view.ranges[l][0]);
        view.rangeEls[l][1].textContent = S.fmt(view.ranges[l][1]);
        for (let i = 0; i < N; i++) drawTile(l, i, cells[l]);
      }
    }
    const c = state.cursor, [cy, cx] = core.cellOf(D.layers[c.layer], c.fy, c.fx);
    statusEl.innerHTML = S.statusHTML(D, state, valueAt(c.image, cy, cx, c.layer));
  }

  function drawTile(l, i, cell) {
    const g = D.layers[l], im = D.images[i], t = view.tiles[l][i];
    const w = im.displayWidth, h = im.displayHeight, o = t.out.data, s = view.base[i];
    if (state.pca) {
      P.shadePca(o, view.pca, D.pca, i, w, h);
    } else if (state.group >= 0) {
      core.shadeGroup(o, s, D.nmf, i, state.group, w, h);
    } else {
      const [lo, hi] = view.ranges[l], plane = g.height * g.width;
      const n = core.normalise(view.rows[l], i * plane, plane, lo, hi);
      const bilinear = D.upsample === 'bilinear';
      if (bilinear && !t.axes) t.axes = { ay: core.bilinearAxis(g.height, h), ax: core.bilinearAxis(g.width, w) };
      core.shadeTile(o, s, n, g, w, h, style, bilinear ? t.axes : null);
    }
    if (state.group < 0 && !state.pca) {
      for (const m of view.top[l]) {
        if (m.image === i) core.drawOutline(o, w, core.outlineBox(w, h, m.y, m.x, g.height, g.width), [0, 255, 255]);
      }
    }
    if (i === state.focus.image) core.drawOutline(o, w, core.outlineBox(w, h, cell[0], cell[1], g.height, g.width));
    t.ctx.putImageData(t.out, 0, 0);
  }

  function colourBar() {
    const c = document.createElement('canvas'); c.width = 128; c.height = 1;
    const ctx = c.getContext('2d'), d = ctx.createImageData(128, 1);
    d.data.set(core.colourBar(style, 128));
    ctx.putImageData(d, 0, 0);
    return c;
  }
  function layout() {
    // Layers: one chip each above the images, with its grid and colour scale.
    const bar = document.getElementById('layers');
    D.layers.forEach((g, l) => {
      const chip = document.createElement('div'); chip.className = 'layer';
      chip.innerHTML = '<span class="name"></span><span class="dims"></span><span class="range"><span></span></span><span class="range"><span></span></span>';
      chip.children[0].textContent = g.name;
      chip.children[1].textContent = `${g.height}×${g.width}×${g.channels}`;
      chip.insertBefore(colourBar(), chip.children[3]);
      view.rangeEls[l] = [chip.children[2].firstChild, chip.children[4].firstChild];
      bar.appendChild(chip);
    });
    // Images: one card each (wrapping), holding one tile per layer, top to bottom.
    const cards = D.images.map(im => {
      const card = document.createElement('figure'); card.className = 'card'; card.style.width = im.displayWidth + 'px';
      const cap = document.createElement('figcaption'); cap.textContent = im.name; cap.title = `${im.name} (${im.width}×${im.height})`;
      card.appendChild(cap); gridEl.appendChild(card);
      return card;
    });
    D.layers.forEach((g, l) => {
      view.tiles[l] = D.images.map((im, i) => {
        const label = document.createElement('div'); label.className = 'tilelabel'; label.textContent = g.name;
        if (L > 1) cards[i].appendChild(label);
        const canvas = document.createElement('canvas'); canvas.width = im.displayWidth; canvas.height = im.displayHeight;
        canvas.style.width = im.displayWidth + 'px'; canvas.style.height = im.displayHeight + 'px';
        canvas.dataset.image = i; canvas.dataset.layer = l;
        canvas.setAttribute('aria-label', `${im.name}, ${g.name}`);
        const ctx = canvas.getContext('2d');
        const at = ev => core.pointIn(canvas.getBoundingClientRect(), ev.clientX, ev.clientY);
        canvas.addEventListener('mousemove', ev => { const [fy, fx] = at(ev); dispatch({ type: 'move', image: i, fy, fx, layer: l }, false); });
        canvas.addEventListener('click', ev => { const [fy, fx] = at(ev); dispatch({ type: 'click', image: i, fy, fx, layer: l }, false); });
        cards[i].appendChild(canvas);
        return { canvas, ctx, out: ctx.createImageData(im.displayWidth, im.displayHeight), axes: null };
      });
    });
    if (D.nmf) legend();
    if (D.pca) pcaBar();
  }
  function pcaBar() {
    pcaEl.hidden = false;
    const b = document.createElement('button'); b.type = 'button'; b.id = 'pca-toggle'; b.setAttribute('aria-pressed', 'false');
    b.textContent = 'PCA';
    b.title = 'Show each image\'s first three principal components as RGB (key C)';
    b.addEventListener('click', () => setPca(!state.pca));
    const cap = document.createElement('span'); cap.className = 'caption'; cap.textContent = S.pcaCaption(D.pca);
    pcaEl.append(b, cap);
  }
  function legend() {
    legendEl.hidden = false;
    const cap = document.createElement('span'); cap.className = 'caption'; cap.textContent = S.legendCaption(D.nmf);
    legendEl.appendChild(cap);
    for (const e of S.legendEntries(D.nmf)) {
      const b = document.createElement('button'); b.type = 'button'; b.dataset.group = e.group; b.setAttribute('aria-pressed', 'false');
      const swatch = document.createElement('span'); swatch.className = 'swatch'; swatch.style.background = e.colour;
      const count = document.createElement('small'); count.textContent = String(e.count);
      b.append(swatch, `${e.label} `, count);
      b.addEventListener('click', () => selectGroup(state.group === e.group ? -1 : e.group));
      legendEl.appendChild(b);
    }
  }
  function syncLegend() {
    legendEl.querySelectorAll('button').forEach(b => b.setAttribute('aria-pressed', String(Number(b.dataset.group) === state.group)));
    pcaEl.querySelectorAll('button').forEach(b => b.setAttribute('aria-pressed', String(state.pca)));
  }

  function selectGroup(g) {
    state = S.reduce(state, { type: 'selectGroup', group: g }, dims);
    syncLegend();
    render(true);
  }
  function setPca(on) {
    state = S.reduce(state, { type: 'setPca', on }, dims);
    syncLegend();
    render(true);
    return publicState();
  }
  function hover(i, y, x, l = 0) {
    dispatch({ type: 'hover', image: i, y, x, layer: l }, false);
    return publicState();
  }
  function valueAt(i, y, x, l = 0) {
    S.checkCell(dims, i, y, x, l);
    if (!state.loaded) return null;
    const g = D.layers[l], [fy, fx] = core.cellOf(g, state.focus.fy, state.focus.fx);
    return core.valueOf(g, view.codes[l], core.cellIndex(g, state.focus.image, fy, fx), core.cellIndex(g, i, y, x));
  }
  function publicState() {
    return { loaded: state.loaded, pinned: state.pinned, group: state.group, pca: state.pca, image: state.focus.image,
             cells: S.focusCells(state, D.layers), ranges: view.ranges.map(r => r.slice()),
             top: view.top.map(t => t.map(m => ({ ...m }))) };
  }
  document.addEventListener('keydown', ev => {
    if (!state.loaded || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const action = S.keyAction(state, ev.key, dims);
    if (action === null) return;
    if (action.type === 'hover') ev.preventDefault();
    dispatch(action, false);
    syncLegend();
  });

  const ready = (async () => {
    layout();
    if (D.pca) view.pca = P.pcaColours(D.pca, N);
    [view.codes, view.base] = await Promise.all([Promise.all(D.layers.map(g => core.layerCodes(g))),
                                                 Promise.all(D.images.map(loadImage))]);
    state = S.reduce(state, { type: 'loaded' }, dims);
    render(true);
  })().catch(fail);
  window.simlay = { ready, hover, valueAt, state: publicState, selectGroup, setPca, version: D.version,
                    images: D.images.map(im => im.name), layers: D.layers.map(g => ({ name: g.name, height: g.height, width: g.width })) };
})();
