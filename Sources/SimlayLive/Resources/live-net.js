// The live page's link to simlayd --http: the /ws socket (hello with the token, numbered calls, hovers
// answered by binary frames) and authorised fetches of /api/* (images come back as blob: URLs). The
// socket reconnects after a drop; calls in flight then fail naming why, and the page re-sends its hover.
(function (root) {
  'use strict';

  const CLOSE_REASONS = {
    1008: 'the daemon refused the token or the origin',
    1009: "a message was over the daemon's --max-message-mb",
    1011: 'the daemon had an internal error',
  };

  /// GET `path` with `Authorization: Bearer token` (when there is one); throws naming the path, the
  /// status and the daemon's text on a failure.
  async function get(path, token) {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const r = await fetch(path, { headers, cache: 'no-store' });
    if (!r.ok) {
      const text = (await r.text()).trim().slice(0, 200);
      throw new Error(`GET ${path.split('?')[0]}: ${r.status}${text ? ` (${text})` : ''}`);
    }
    return r;
  }

  /// Opens the socket. `on.frame(ArrayBuffer)` gets hover frames, `on.hoverText(msg)` hover errors and
  /// superseded notices, `on.state(text, isError)` connection news, `on.reconnected()` a new hello.
  /// Returns {ready: Promise<hello>, call(method, request), hover(seq, requests), close()}.
  function connect(token, on) {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const pending = new Map();
    let ws = null, nextId = 1, closing = false, hello = null, attempt = 0;
    let readyResolve, readyReject;
    const ready = new Promise((res, rej) => { readyResolve = res; readyReject = rej; });

    function open() {
      ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => { ws.send(JSON.stringify(token ? { op: 'hello', token } : { op: 'hello' })); };
      ws.onmessage = (ev) => {
        if (typeof ev.data !== 'string') { on.frame(ev.data); return; }
        let msg;
        try { msg = JSON.parse(ev.data); } catch (e) { on.state(`the daemon sent text that is not JSON (${e.message})`, true); return; }
        if (msg.op === 'hello' && msg.code) {
          // The daemon refused the hello (a wrong or missing token): every call would fail the same way.
          const e = new Error(`the daemon refused this page: ${msg.code}: ${msg.message}`);
          if (hello === null) readyReject(e); else on.state(e.message, true);
          closing = true; ws.close();
        } else if (msg.op === 'hello') {
          const first = hello === null;
          hello = msg; attempt = 0;
          if (first) readyResolve(msg); else on.reconnected(msg);
        } else if ((msg.op === 'result' || msg.op === 'error') && pending.has(msg.id)) {
          const p = pending.get(msg.id);
          pending.delete(msg.id);
          if (msg.op === 'result') p.resolve(msg.response || {});
          else p.reject(new Error(`${p.method}: ${msg.code}: ${msg.message}`));
        } else if (msg.seq !== undefined) {
          on.hoverText(msg);
        }
      };
      ws.onclose = (ev) => {
        const why = CLOSE_REASONS[ev.code] || `code ${ev.code}${ev.reason ? `: ${ev.reason}` : ''}`;
        for (const p of pending.values()) p.reject(new Error(`${p.method}: the connection closed (${why})`));
        pending.clear();
        if (closing) return;
        if (hello === null && attempt >= 2) { readyReject(new Error(`cannot open ${url} (${why})`)); return; }
        attempt++;
        on.state(`Connection lost (${why}); reconnecting…`, true);
        setTimeout(open, Math.min(500 * attempt, 5000));
      };
    }
    open();

    return {
      ready,
      get limits() { return (hello && hello.limits) || {}; },
      /// One RPC (proto3 JSON in and out); rejects with "Method: CODE: message".
      call(method, request) {
        return new Promise((resolve, reject) => {
          if (!ws || ws.readyState !== WebSocket.OPEN) { reject(new Error(`${method}: not connected to the daemon`)); return; }
          const id = nextId++;
          pending.set(id, { resolve, reject, method });
          ws.send(JSON.stringify({ op: 'call', id, method, request }));
        });
      },
      /// Sends one hover (one SimilarityRequest per row); false when the socket is not open.
      hover(seq, requests) {
        if (!ws || ws.readyState !== WebSocket.OPEN) return false;
        ws.send(JSON.stringify({ op: 'hover', seq, requests }));
        return true;
      },
      close() { closing = true; if (ws) ws.close(); },
    };
  }

  /// A stored image at `size` (longest side) as {url (blob:), bytes (the PNG), width, height}.
  async function image(id, size, token) {
    const r = await get(`/api/images/${encodeURIComponent(id)}.png?size=${size}`, token);
    const blob = await r.blob();
    const url = URL.createObjectURL(blob);
    const img = new Image();
    img.src = url;
    await img.decode();
    return { url, blob, width: img.naturalWidth, height: img.naturalHeight };
  }

  root.simlayLiveNet = { get, connect, image };
})(globalThis);
