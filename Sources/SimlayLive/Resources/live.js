// The live page's entry point: reads the address (keeping the token out of the address bar), connects to
// the daemon, loads models, colormaps and images, wires the controls, keys and drag and drop, and exposes
// window.simlay: ready, hover(image, y, x), valueAt(image, y, x), latencies(), state(), pin(on), addFiles.
(() => {
  'use strict';
  const LS = globalThis.simlayLiveState, LC = globalThis.simlayLiveCore, net = globalThis.simlayLiveNet;
  const UI = globalThis.simlayLivePanels, V = globalThis.simlayLiveView;
  const $ = (id) => document.getElementById(id);

  // The token: read once, kept in memory and sessionStorage (reloads), removed from the address bar.
  const params = new URLSearchParams(location.search);
  const token = params.get('token') || sessionStorage.getItem('simlay-token') || '';
  if (params.has('token')) {
    sessionStorage.setItem('simlay-token', params.get('token'));
    params.delete('token');
    history.replaceState(null, '', location.pathname + (params.toString() ? '?' + params : '') + location.hash);
  }

  const E = { S: null, images: [], models: null, colormaps: {}, rows: [], link: null };
  const view = V.create(E), images = E.images;
  const main = () => E.S.model || E.models.defaultModel;
  const modelInfo = (name) => E.models.models.find((m) => m.name === name);
  const say = (text) => view.status(V.esc(text));
  const panels = UI.create({
    call: (m, r) => E.link.call(m, r), images: () => images, metric: () => E.S.metric, status: say, error: view.error,
    mainRow: () => E.rows.find((r) => r.model === main()) || E.rows[0],
    mainIds: () => images.map((im) => im.ids[main()]),
    pinnedCell() {
      if (!view.pinned || !images.length) return null;
      const row = E.rows.find((r) => r.model === main()) || E.rows[0], c = LS.cellsFor([row], view.focus.fy, view.focus.fx)[0];
      const im = images[view.focus.image];
      return { id: im.ids[row.model], name: im.name, y: c.y, x: c.x };
    },
  });

  function options(select, values, chosen) {
    select.replaceChildren(...values.map((v) => { const o = document.createElement('option'); o.value = v.value ?? v; o.textContent = v.label ?? v; o.selected = (chosen || []).includes(o.value); return o; }));
  }
  const layerOptions = (m) => modelInfo(m).layers.map((l) => ({ value: l.name, label: `${l.name} ${l.height | 0}×${l.width | 0}` }));

  /// Gives every image an id for every model of the rows (ids depend on the model's preprocessing): the
  /// upload's bytes, or the stored image at 1024 pixels for an image the page got as an id.
  async function ensureIds() {
    for (const model of new Set(E.rows.map((r) => r.model))) {
      const missing = images.filter((im) => !im.ids[model]);
      if (!missing.length) continue;
      say(`Adding ${missing.length} images for ${model}…`);
      await Promise.all(missing.map(async (im) => {
        if (!im.bytes) im.bytes = new Uint8Array(await (await net.get(`/api/images/${encodeURIComponent(Object.values(im.ids)[0])}.png?size=1024`, token)).arrayBuffer());
      }));
      const infos = await addImages(model, missing.map((im) => ({ bytes: im.bytes, name: im.name })));
      infos.forEach((info, k) => { missing[k].ids[model] = info.id; });
    }
  }
  /// AddImages for `model` in as many calls as the daemon's message limit needs; the ImageInfos in order.
  async function addImages(model, uploads) {
    const out = [];
    for (const batch of LS.uploadBatches(uploads.map((u) => ({ size: u.bytes.length, name: u.name })), Number(E.link.limits.maxMessageBytes) || 0)) {
      const r = await E.link.call('AddImages', { model, images: batch.map((k) => ({ data: LS.base64Of(uploads[k].bytes), name: uploads[k].name })) });
      out.push(...(r.images || []));
    }
    return out;
  }
  async function loadDisplay(im) {
    const id = Object.values(im.ids)[0];
    let d;
    try { d = await net.image(id, E.S.size, token); } catch (e) { throw new Error(`image ${id}: ${e.message}`); }
    if (im.url) URL.revokeObjectURL(im.url);
    Object.assign(im, { url: d.url, width: d.width, height: d.height });
  }
  /// Rebuilds rows and tiles from E.S and the images, updates the address, and queries the point again.
  async function settingsChanged(reload) {
    E.rows = LS.rowsFor(E.S, E.models);
    LS.checkImageCount(images.length, E.link.limits);
    const most = Number(E.link.limits.maxLayersPerRequest) || 16;
    if (E.rows.length > most) throw new Error(`${E.rows.length} rows: the daemon takes at most ${most} layers (simlayd --max-layers)`);
    if (reload) await Promise.all(images.map(loadDisplay));
    await ensureIds();
    E.S.images = images.map((im) => im.ids[main()]);
    history.replaceState(null, '', location.pathname + LS.addressFor(E.S));
    // The analysis panels describe one image set at one layer: hide them when either changes.
    const shown = E.S.images.join(',') + '|' + (E.rows[0] ? E.rows[0].model + ':' + E.rows[0].layer : '');
    if (shown !== lastShown) panels.hideAll();
    lastShown = shown;
    view.build();
    if (images.length) await view.refresh();
  }
  let lastShown = '';
  E.onSettings = () => settingsChanged(false);

  async function addFiles(files) {
    files = [...files].filter((f) => /^image\/(png|jpeg)$/.test(f.type) || /\.(png|jpe?g)$/i.test(f.name));
    if (!files.length) throw new Error('no PNG or JPEG files among those given');
    LS.checkImageCount(images.length + files.length, E.link.limits);
    const uploads = await Promise.all(files.map(async (f) => ({ bytes: new Uint8Array(await f.arrayBuffer()), name: f.name })));
    say(`Adding ${files.length} images…`);
    const infos = await addImages(main(), uploads);
    const added = infos.map((info, k) => ({ ids: { [main()]: info.id }, name: info.name || uploads[k].name, bytes: uploads[k].bytes }));
    await Promise.all(added.map(loadDisplay));
    images.push(...added);
    await settingsChanged(false);
    return added.map((im) => im.ids[main()]);
  }
  async function addId(id) {
    id = id.trim();
    if (!id) throw new Error('type an image id first');
    if (images.some((im) => Object.values(im.ids).includes(id))) throw new Error(`image ${id} is already shown`);
    LS.checkImageCount(images.length + 1, E.link.limits);
    const im = { ids: { [main()]: id }, name: id.slice(0, 12) };
    try { await loadDisplay(im); } catch (e) { throw new Error(`no image '${id}' in the daemon (${e.message})`); }
    images.push(im);
    await settingsChanged(false);
  }

  function wire() {
    const guard = (fn) => (ev) => { Promise.resolve().then(() => fn(ev)).catch(view.error); };
    $('model').addEventListener('change', guard(() => {
      E.S.model = $('model').value;
      const names = modelInfo(E.S.model).layers.map((l) => l.name);
      E.S.layers = E.S.layers.filter((l) => names.includes(l));
      if (!E.S.layers.length) E.S.layers = [LS.defaultLayer(modelInfo(E.S.model))];
      options($('layers'), layerOptions(E.S.model), E.S.layers);
      return settingsChanged(false);
    }));
    $('layers').addEventListener('change', guard(() => {
      const chosen = [...$('layers').selectedOptions].map((o) => o.value);
      if (chosen.length) E.S.layers = chosen;
      return settingsChanged(false);
    }));
    for (const [id, key] of [['metric', 'metric'], ['colormap', 'colormap'], ['upsample', 'upsample']]) {
      $(id).addEventListener('change', guard(() => { E.S[key] = $(id).value; return settingsChanged(false); }));
    }
    $('topk').addEventListener('change', guard(() => {
      const k = Number($('topk').value);
      if (!Number.isInteger(k) || k < 0 || k > 1024) throw new Error(`top ${$('topk').value} is not a whole number in 0...1024`);
      E.S.topK = k; return settingsChanged(false);
    }));
    $('size').addEventListener('change', guard(() => { E.S.size = Number($('size').value); return settingsChanged(true); }));
    $('files').addEventListener('change', guard(async () => { const f = $('files').files; try { await addFiles(f); } finally { $('files').value = ''; } }));
    $('add-id').addEventListener('click', guard(() => addId($('image-id').value)));
    $('compare-model').addEventListener('change', () => options($('compare-layer'), layerOptions($('compare-model').value), [E.S.layers[0]]));
    $('compare-add').addEventListener('click', guard(() => { E.S.compare.push({ model: $('compare-model').value, layer: $('compare-layer').value }); return settingsChanged(false); }));
    for (const form of ['controls', 'analyses']) $(form).addEventListener('submit', (ev) => ev.preventDefault());
    let depth = 0;
    document.addEventListener('dragenter', (ev) => { ev.preventDefault(); depth++; $('drop').hidden = false; });
    document.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; $('drop').hidden = true; } });
    document.addEventListener('dragover', (ev) => ev.preventDefault());
    document.addEventListener('drop', guard((ev) => { ev.preventDefault(); depth = 0; $('drop').hidden = true; return addFiles(ev.dataTransfer.files); }));
    document.addEventListener('keydown', guard((ev) => keys(ev)));
  }
  function keys(ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey || !E.rows.length || !images.length) return;
    if (ev.target && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(ev.target.tagName)) return;
    const f = view.focus, row = E.rows[view.cursor ? view.cursor.row : 0] || E.rows[0];
    if (ev.key.startsWith('Arrow')) {
      ev.preventDefault();
      const c = LC.stepCell(LS.cellsFor([row], f.fy, f.fx)[0], ev.key, row.h, row.w), p = LS.pointOfCell(row, c.y, c.x);
      view.setFocus(f.image, p.fy, p.fx, 'key');
    } else if (ev.key === '[' || ev.key === ']') {
      view.setFocus((f.image + (ev.key === ']' ? 1 : images.length - 1)) % images.length, f.fy, f.fx, 'key');
    } else if (ev.key === 'p' || ev.key === 'P') {
      view.setPinned(!view.pinned);
    } else if (ev.key === 'Escape') {
      view.setPinned(false);
    }
  }

  async function start() {
    E.S = Object.assign(LS.parseAddress(params.toString()), { opacity: 0.6, upsample: 'nearest', size: 160 });
    E.link = net.connect(token, {
      frame: view.onFrame, hoverText: view.onHoverText, state: (t, bad) => view.status(V.esc(t), bad),
      reconnected: () => { view.newGate(); view.refresh(); },
    });
    await E.link.ready;
    view.newGate();
    say('Connected; loading models and colormaps…');
    const [models, cmaps] = await Promise.all([E.link.call('ListModels', {}), net.get('/api/colormaps', token).then((r) => r.json())]);
    E.models = models; E.colormaps = cmaps;
    const names = Object.keys(cmaps).concat('mask');
    if (!names.includes(E.S.colormap)) throw new Error(`colormap '${E.S.colormap}' is not one of ${names.join(', ')}`);
    if (E.S.model && !modelInfo(E.S.model)) throw new Error(`model '${E.S.model}' is not loaded (the daemon has ${models.models.map((m) => m.name).join(', ')})`);
    if (!E.S.layers.length) E.S.layers = [LS.defaultLayer(modelInfo(main()))];
    options($('model'), models.models.map((m) => m.name), [main()]);
    options($('layers'), layerOptions(main()), E.S.layers);
    options($('colormap'), names, [E.S.colormap]);
    $('metric').value = E.S.metric; $('topk').value = String(E.S.topK);
    options($('compare-model'), models.models.map((m) => m.name), [main()]);
    options($('compare-layer'), layerOptions(main()), [E.S.layers[0]]);
    wire();
    for (const id of E.S.images) images.push({ ids: { [main()]: id }, name: id.slice(0, 12) });
    say(`Loading ${images.length} images…`);
    await settingsChanged(true);
    return true;
  }

  const ready = start();
  ready.catch(view.error);
  window.simlay = Object.assign({ ready, addFiles, addId, panels }, view.api);
})();
