// The live page's tiles and analysis panels: a tile (photo + one-pixel-per-cell overlay canvas the
// browser scales + boxes), the NMF groups with their legend (Nmf call), the PCA view (Pca call) and the
// sweep chart of the pinned patch (Sweep call, an SVG). Pure parts are in live-core.js / live-state.js.
(function (root) {
  'use strict';
  const core = root.SimlayViewerCore, LC = root.simlayLiveCore, LS = root.simlayLiveState;
  // Tableau's 20 colours, the static viewer's NMF palette (ViewerPayload.palette), so groups look alike.
  const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
    '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  const SVG = 'http://www.w3.org/2000/svg';

  /// A figure holding one tile of image `im` ({url, width, height, name}) over a gh x gw grid.
  function makeTile(im, gh, gw, caption, nearest) {
    const card = document.createElement('figure'); card.className = 'card';
    const cap = document.createElement('figcaption');
    const name = document.createElement('span'); name.textContent = caption; name.title = caption;
    cap.appendChild(name); card.appendChild(cap);
    const tile = document.createElement('div'); tile.className = 'tile';
    tile.style.width = im.width + 'px'; tile.style.height = im.height + 'px';
    const img = document.createElement('img'); img.src = im.url; img.alt = ''; img.draggable = false;
    const canvas = document.createElement('canvas'); canvas.width = gw; canvas.height = gh;
    if (nearest) canvas.className = 'nearest';
    const focus = document.createElement('div'); focus.className = 'box'; focus.hidden = true;
    tile.append(img, canvas, focus); card.appendChild(tile);
    const ctx = canvas.getContext('2d');
    return { card, cap, tile, canvas, ctx, pix: ctx.createImageData(gw, gh), focus, tops: [], w: im.width, h: im.height, gh, gw };
  }
  /// Places box div `el` over cells y0 <= y < y1, x0 <= x < x1 of tile t (the daemon's outline bounds).
  function placeBox(el, t, y0, x0, y1, x1) {
    const a = core.outlineBox(t.w, t.h, y0, x0, t.gh, t.gw), b = core.outlineBox(t.w, t.h, y1 - 1, x1 - 1, t.gh, t.gw);
    el.style.left = a.x0 + 'px'; el.style.top = a.y0 + 'px';
    el.style.width = (b.x1 - a.x0) + 'px'; el.style.height = (b.y1 - a.y0) + 'px'; el.style.borderWidth = a.t + 'px';
    el.hidden = false;
  }
  /// Shows the top matches `matches` ([{y, x}]) of tile t as cyan boxes, reusing its pool of divs.
  function placeTops(t, matches) {
    while (t.tops.length < matches.length) {
      const d = document.createElement('div'); d.className = 'box top'; t.tile.insertBefore(d, t.focus); t.tops.push(d);
    }
    t.tops.forEach((d, k) => { if (k < matches.length) placeBox(d, t, matches[k].y, matches[k].x, matches[k].y + 1, matches[k].x + 1); else d.hidden = true; });
  }

  /// The analysis panels over page context `P` ({call, images(), mainRow(), mainIds(), pinnedCell(), status, error}).
  function create(P) {
    const $ = (id) => document.getElementById(id);
    let nmf = null;

    function tilesInto(container, gh, gw, draw) {
      container.replaceChildren();
      return P.images().map((im, i) => {
        const t = makeTile(im, gh, gw, im.name, true);
        draw(t, i); t.ctx.putImageData(t.pix, 0, 0);
        container.appendChild(t.card);
        return t;
      });
    }

    async function runNmf() {
      const row = P.mainRow(), k = Number($('nmf-k').value);
      P.status(`Factoring ${P.images().length} images at ${row.layer} into ${k} groups…`);
      const r = await P.call('Nmf', { model: row.model, layer: row.layer, imageIds: P.mainIds(), k, policy: $('nmf-policy').value });
      const h = r.height | 0, w = r.width | 0, groups = (r.groups && r.groups.values || []).map(Number);
      const strength = LS.floatTensor(r.strength, 'Nmf strength').data;
      if (groups.length !== P.images().length * h * w) throw new Error(`Nmf answered ${groups.length} groups for ${P.images().length} images of ${h}x${w}`);
      nmf = { h, w, k, groups, strength, highlight: -1, palette: PALETTE.map(core.hexRGB), tiles: [] };
      drawNmf();
      legend(LC.groupCounts(groups, k), r);
      $('nmf').hidden = false;
      P.status(`NMF at ${r.layer}: ${k} groups, relative error ${Number(r.relativeError || 0).toFixed(3)}, ${r.iterations | 0} iterations`);
      return { layer: r.layer, k, counts: LC.groupCounts(groups, k) };
    }
    function drawNmf() {
      const plane = nmf.h * nmf.w;
      nmf.tiles = tilesInto($('nmf-tiles'), nmf.h, nmf.w, (t, i) => LC.nmfPixels(t.pix.data, nmf.groups, nmf.strength, i, plane, nmf.palette, nmf.highlight));
    }
    function legend(counts, r) {
      const box = $('nmf-legend'); box.replaceChildren();
      const cap = document.createElement('span'); cap.className = 'note';
      cap.textContent = `${r.layer}, ${nmf.k} groups (click one to show it alone):`;
      box.appendChild(cap);
      counts.forEach((count, g) => {
        const b = document.createElement('button'); b.type = 'button'; b.dataset.group = g; b.setAttribute('aria-pressed', 'false');
        const sw = document.createElement('span'); sw.className = 'swatch'; sw.style.background = PALETTE[g % PALETTE.length];
        const n = document.createElement('small'); n.textContent = String(count);
        b.append(sw, `group ${g} `, n);
        b.addEventListener('click', () => {
          nmf.highlight = nmf.highlight === g ? -1 : g;
          box.querySelectorAll('button').forEach((e) => e.setAttribute('aria-pressed', String(Number(e.dataset.group) === nmf.highlight)));
          drawNmf();
        });
        box.appendChild(b);
      });
    }

    async function runPca() {
      const row = P.mainRow();
      P.status(`Fitting PCA to every cell of ${P.images().length} images at ${row.layer}…`);
      const r = await P.call('Pca', { model: row.model, layer: row.layer, imageIds: P.mainIds(), components: 3 });
      const h = r.height | 0, w = r.width | 0, colors = LS.floatTensor(r.colors, 'Pca colors');
      if (colors.data.length !== P.images().length * h * w * 3) throw new Error(`Pca answered colours of shape [${colors.shape}]`);
      tilesInto($('pca-tiles'), h, w, (t, i) => LC.pcaPixels(t.pix.data, colors.data, i, h * w));
      const ev = (r.explainedVariance || []).map(Number);
      $('pca-variance').textContent = `${r.layer} (${r.channels | 0} channels): components 1-3 as red, green, blue explain ` +
        ev.map((v) => `${(100 * v).toFixed(1)}%`).join(', ') + ` of the variance (${(100 * ev.reduce((a, b) => a + b, 0)).toFixed(1)}% together).`;
      $('pca').hidden = false;
      P.status(`PCA at ${r.layer}: ${ev.length} components`);
      return { layer: r.layer, explainedVariance: ev };
    }

    async function runSweep() {
      const pin = P.pinnedCell();
      if (!pin) throw new Error('pin a patch first: click a tile');
      const row = P.mainRow(), rotate = $('sweep-kind').value === 'rotate';
      const params = rotate ? Array.from({ length: 12 }, (_, k) => 30 * k) : [0.5, 0.625, 0.75, 0.875, 1, 1.25, 1.5, 1.75, 2];
      P.status(`Sweeping ${rotate ? 'rotation' : 'scale'} of ${pin.name} (${params.length} forward passes)…`);
      const r = await P.call('Sweep', { model: row.model, layer: row.layer, imageId: pin.id, transform: rotate ? 'TRANSFORM_ROTATE' : 'TRANSFORM_SCALE',
                                        params, queries: [{ y: pin.y, x: pin.x }], metric: 'METRIC_' + P.metric().toUpperCase() });
      const steps = r.steps || [];
      const values = steps.map((s) => { const t = (s.tracked || [])[0] || {}; return t.inBounds ? Number(t.similarity) : NaN; });
      chart(steps.map((s) => Number(s.param || 0)), values, rotate ? 'angle (degrees)' : 'scale');
      $('sweep-title').textContent = `Sweep: patch (${pin.y}, ${pin.x}) of ${pin.name} at ${r.layer}, ${rotate ? 'rotated' : 'rescaled'}`;
      $('sweep').hidden = false;
      P.status(`Sweep done: ${values.filter(Number.isFinite).length} of ${values.length} steps kept the patch in the image`);
      return { layer: r.layer, params: steps.map((s) => Number(s.param || 0)), values: values.map((v) => (Number.isFinite(v) ? v : null)), cell: [pin.y, pin.x] };
    }
    function chart(params, values, xLabel) {
      const W = 560, H = 240, g = LC.sweepChart(params, values, W, H, 36);
      const svg = document.createElementNS(SVG, 'svg');
      svg.setAttribute('width', W); svg.setAttribute('height', H); svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
      const add = (tag, attrs, text) => {
        const e = document.createElementNS(SVG, tag);
        for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
        if (text !== undefined) e.textContent = text;
        svg.appendChild(e); return e;
      };
      add('line', { class: 'axis', x1: 36, y1: H - 36, x2: W - 36, y2: H - 36 });
      add('line', { class: 'axis', x1: 36, y1: 36, x2: 36, y2: H - 36 });
      for (const t of g.yTicks) add('text', { x: 4, y: t.y + 4 }, t.label);
      g.xTicks.forEach((t, k) => { if (g.xTicks.length <= 13 || k % 2 === 0) add('text', { x: t.x - 8, y: H - 20 }, t.label); });
      add('text', { x: W / 2 - 30, y: H - 4 }, xLabel);
      add('path', { class: 'line', d: g.d });
      for (const q of g.points) if (q.y !== null) add('circle', { class: 'dot', cx: q.x, cy: q.y, r: 3 }).appendChild(document.createElementNS(SVG, 'title')).textContent = `${q.param}: ${LS.fmt(q.value)}`;
      $('sweep-chart').replaceChildren(svg);
    }

    const guard = (fn) => () => fn().catch((e) => P.error(e));
    $('nmf-run').addEventListener('click', guard(runNmf));
    $('pca-run').addEventListener('click', guard(runPca));
    $('sweep-run').addEventListener('click', guard(runSweep));
    return { runNmf, runPca, runSweep, hideAll() { for (const id of ['nmf', 'pca', 'sweep']) $(id).hidden = true; } };
  }

  root.simlayLivePanels = { makeTile, placeBox, placeTops, create, PALETTE };
})(globalThis);
