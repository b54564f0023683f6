// The live page's view: rows of tiles (one per layer, or per model compared), each hover answered by the
// daemon over /ws and drawn in the next animation frame, with performance marks around it (pointer event
// -> tiles drawn). Only the newest hover is answered (live-core.js's gate). `create(E)` works on the
// page's shared state E ({S, images, models, colormaps, rows, link}, filled by live.js).
(() => {
  'use strict';
  const core = globalThis.SimlayViewerCore, LC = globalThis.simlayLiveCore, LS = globalThis.simlayLiveState;
  const UI = globalThis.simlayLivePanels;
  const RAW = 'onpointerrawupdate' in window;
  const $ = (id) => document.getElementById(id);
  const statusEl = $('status');
  function status(html, isError) { statusEl.classList.toggle('error', !!isError); statusEl.innerHTML = html; }
  function error(e) { statusEl.classList.add('error'); statusEl.textContent = e.message || String(e); }
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

  function create(E) {
    let gate = null, frame = null, current = null, shown = null;
    let focus = { image: 0, fy: 0.5, fx: 0.5 }, pinned = false, cursor = null, lastKey = '';
    const sent = new Map(), latencies = [], phases = [];
    let marks = 0, generation = 0, waiting = null;  // generation: bumped by build(), whose tiles old answers no longer fit
    const images = E.images;

    const mainModel = () => E.S.model || E.models.defaultModel;
    const rowIds = () => E.rows.map((r) => images.map((im) => im.ids[r.model]));

    // ---- Hover: pointer/key/API -> one query per row -> frame -> paint in the next animation frame.
    function newGate() {
      for (const q of sent.values()) q.finish({ superseded: true });
      sent.clear();
      gate = LC.createHoverGate((seq, q) => {
        sent.set(seq, q);
        if (!E.link.hover(seq, LS.hoverRequests(E.rows, rowIds(), q.image, q.cells, { metric: E.S.metric, topK: E.S.topK }))) {
          q.finish({ superseded: true });
        }
      });
    }
    /// Moves the query to (image, fy, fx); returns a promise that resolves once the tiles show it.
    function setFocus(image, fy, fx, source) {
      focus = { image, fy, fx };
      if (!E.rows.length || !images.length) return Promise.resolve({ superseded: true });
      const cells = LS.cellsFor(E.rows, fy, fx), key = LS.queryKey(image, cells);
      if (key === lastKey && current) return current.done;
      lastKey = key;
      const id = ++marks, q = { image, cells, key, source, id, gen: generation, start: `simlay-pointer-${id}` };
      performance.mark(q.start);
      q.t0 = performance.now();
      q.done = new Promise((resolve) => { q.finish = resolve; });
      current = q;
      // Replaced while waiting to be sent (the gate sends only the newest): never shown.
      gate.hover(q).then((r) => { if (r.superseded && !('payload' in r)) q.finish({ superseded: true }); });
      return q.done;
    }
    function onFrame(buffer) {
      let f;
      try { f = LC.decodeMapsFrame(buffer); } catch (e) { error(e); return; }
      const q = sent.get(f.seq), arrived = performance.now();
      sent.delete(f.seq);
      // The gate now sends the newest waiting query, if any. This answer is still painted: it is newer
      // than what the tiles show, so fast movement keeps the tiles moving instead of freezing them until
      // the pointer rests.
      gate.answer(f.seq, f);
      if (!q || q.gen !== generation) { if (q) q.finish({ superseded: true }); return; }
      // One animation frame paints the newest answer; an older one still waiting is dropped.
      if (waiting) waiting.q.finish({ superseded: true });
      else requestAnimationFrame(paintWaiting);
      waiting = { f, q, arrived };
    }
    function paintWaiting() {
      const { f, q, arrived } = waiting;
      waiting = null;
      if (q.gen !== generation) { q.finish({ superseded: true }); return; }
      const t1 = performance.now();
      paint(f, q);
      const end = `simlay-painted-${q.id}`;
      performance.mark(end);
      const m = performance.measure(`simlay-hover-${q.id}`, q.start, end);
      if (q.source === 'pointer') latencies.push(m.duration);
      // Where the time went: event -> answer (socket + daemon + decode), -> animation frame, drawing.
      phases.push({ source: q.source, answer: arrived - q.t0, frame: t1 - arrived, draw: performance.now() - t1 });
      performance.clearMarks(q.start); performance.clearMarks(end); performance.clearMeasures(m.name);
      q.finish({ superseded: false, seq: f.seq });
    }
    function onHoverText(msg) {
      const q = sent.get(msg.seq);
      sent.delete(msg.seq);
      gate.answer(msg.seq, null);
      if (msg.op === 'error') error(new Error(`Similarity: ${msg.code}: ${msg.message}`));
      if (q) q.finish({ superseded: msg.op !== 'error', error: msg.op === 'error' ? msg.message : undefined });
    }

    function paint(f, q) {
      frame = f; shown = q;
      const table = E.S.colormap === 'mask' ? null : E.colormaps[E.S.colormap];
      E.rows.forEach((row, r) => {
        const fr = f.rows[r];
        if (!fr || fr.n !== images.length || fr.h !== row.h || fr.w !== row.w) return;
        const [lo, hi] = core.rangeOf(fr.maps, E.S.metric, E.S.colormap), plane = fr.h * fr.w;
        row.range[0].textContent = LS.fmt(lo); row.range[1].textContent = LS.fmt(hi);
        row.warn.textContent = (fr.warnings || []).join('; ');
        const qc = fr.queryCells || {};
        row.tiles.forEach((t, i) => {
          LS.overlayPixels(t.pix.data, core.normalise(fr.maps, i * plane, plane, lo, hi), table, E.S.opacity);
          t.ctx.putImageData(t.pix, 0, 0);
          if (i === q.image) UI.placeBox(t.focus, t, qc.y0 | 0, qc.x0 | 0, qc.y1 | 0, qc.x1 | 0); else t.focus.hidden = true;
          UI.placeTops(t, (fr.top || []).filter((m) => (m.image | 0) === i).map((m) => ({ y: m.y | 0, x: m.x | 0 })));
        });
      });
      showStatus();
    }
    function showStatus() {
      if (!frame || !images.length) return;
      // The query the tiles show (during fast movement an answer or two behind the pointer).
      const im = images[shown.image], c0 = shown.cells[0];
      if (!im) return;
      let html = `<b>${esc(im.name)}</b> · ${esc(E.rows[0].label)} cell (${c0.y}, ${c0.x})`;
      if (cursor && frame.rows[cursor.row]) {
        const row = E.rows[cursor.row], c = LS.cellsFor([row], cursor.fy, cursor.fx)[0];
        const v = LC.valueAt(frame.rows[cursor.row], cursor.image, c.y, c.x);
        html += ` · under the cursor: ${esc(images[cursor.image].name)} (${c.y}, ${c.x}) <span class="value">${LS.fmt(v)}</span>`;
      }
      if (pinned) html += ' · <span class="pin">pinned</span> (click or Esc to unpin)';
      status(html);
    }
    function setPinned(on) {
      pinned = on;
      $('sweep-run').disabled = !on;
      showStatus();
    }

    // ---- Layout: one row per layer or model, one tile per image.
    function build() {
      const main = $('rows');
      main.replaceChildren();
      frame = null; lastKey = ''; current = null; generation++;
      if (!images.length) { status('Add images: the file button, drag and drop, or an image id the daemon holds.'); return; }
      E.rows.forEach((row, r) => {
        const sec = document.createElement('section'); sec.className = 'row';
        const head = document.createElement('div'); head.className = 'row-head';
        head.innerHTML = '<span class="name"></span><span class="dims"></span><span class="range"></span><canvas width="128" height="1"></canvas><span class="range"></span><span class="warn"></span>';
        head.children[0].textContent = row.label;
        head.children[1].textContent = `${row.h}×${row.w}`;
        const bar = head.children[3].getContext('2d'), d = bar.createImageData(128, 1);
        d.data.set(core.colourBar({ table: E.S.colormap === 'mask' ? null : E.colormaps[E.S.colormap], opacity: E.S.opacity, keep: 1 - E.S.opacity }, 128));
        bar.putImageData(d, 0, 0);
        row.range = [head.children[2], head.children[4]]; row.warn = head.children[5];
        if (r >= E.S.layers.length) {
          const x = document.createElement('button'); x.type = 'button'; x.textContent = 'remove';
          x.addEventListener('click', () => { E.S.compare.splice(r - E.S.layers.length, 1); E.onSettings().catch(error); });
          head.appendChild(x);
        }
        const tiles = document.createElement('div'); tiles.className = 'tiles';
        row.tiles = images.map((im, i) => {
          const t = UI.makeTile(im, row.h, row.w, r === 0 ? im.name : '', E.S.upsample === 'nearest');
          t.tile.dataset.image = i; t.tile.dataset.row = r;
          if (r === 0) {
            const x = document.createElement('button'); x.type = 'button'; x.textContent = '×'; x.title = `remove ${im.name}`;
            x.addEventListener('click', () => { images.splice(i, 1); focus.image = 0; E.onSettings().catch(error); });
            t.cap.appendChild(x);
          }
          const at = (ev) => { const b = t.tile.getBoundingClientRect(); return [(ev.clientY - b.top) / b.height, (ev.clientX - b.left) / b.width]; };
          const move = (ev) => {
            const [fy, fx] = at(ev);
            if (!(fy >= 0 && fy < 1 && fx >= 0 && fx < 1)) return;
            cursor = { row: r, image: i, fy, fx };
            if (pinned) showStatus(); else setFocus(i, fy, fx, 'pointer');
          };
          // pointerrawupdate (Chromium, secure contexts such as 127.0.0.1) fires as the input arrives;
          // mousemove waits for the next animation frame, so its answer was painted a frame later (one
          // frame, 16.7 ms, at least). The second event of a move finds the same cell and sends nothing.
          if (RAW) t.tile.addEventListener('pointerrawupdate', move);
          t.tile.addEventListener('mousemove', move);
          t.tile.addEventListener('mouseleave', () => { cursor = null; showStatus(); });
          t.tile.addEventListener('click', (ev) => {
            const [fy, fx] = at(ev);
            if (pinned) { setPinned(false); setFocus(i, fy, fx, 'pointer'); } else { setFocus(i, fy, fx, 'pointer'); setPinned(true); }
          });
          tiles.appendChild(t.card);
          return t;
        });
        sec.append(head, tiles);
        main.appendChild(sec);
      });
    }

    const api = {
      hover(image, y, x) {
        if (!E.rows.length) throw new Error('no rows yet: await simlay.ready');
        if (!(Number.isInteger(image) && image >= 0 && image < images.length)) throw new Error(`image ${image} is not one of the ${images.length} shown`);
        const p = LS.pointOfCell(E.rows[0], y, x);
        return setFocus(image, p.fy, p.fx, 'api');
      },
      /// The value shown at cell (y, x) of image `image` on row `row` (default the first), as the maps give it.
      valueAt(image, y, x, row = 0) { return frame ? LC.valueAt(frame.rows[row], image, y, x) ?? null : null; },
      latencies: () => latencies.slice(),
      phases: () => phases.slice(),
      pin(on) { setPinned(on === undefined ? !pinned : !!on); return pinned; },
      state: () => ({ pinned, focus: { ...focus }, images: images.map((im) => ({ name: im.name, ids: { ...im.ids } })),
                      rows: E.rows.map((r) => ({ model: r.model, layer: r.layer, h: r.h, w: r.w })),
                      cells: E.rows.length ? LS.cellsFor(E.rows, focus.fy, focus.fx) : [],
                      top: frame ? frame.rows.map((r) => r.top || []) : [], seq: frame ? frame.seq : null }),
    };
    return { api, build, setFocus, newGate, onFrame, onHoverText, showStatus, setPinned, status, error, mainModel, rowIds,
             get focus() { return focus; }, get pinned() { return pinned; }, get cursor() { return cursor; },
             /// Sends the current point again (after new settings, images or a reconnect).
             refresh() { lastKey = ''; current = null; return setFocus(Math.min(focus.image, Math.max(images.length - 1, 0)), focus.fy, focus.fx, 'api'); } };
  }
  globalThis.simlayLiveView = { create, esc };
})();
