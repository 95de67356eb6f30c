// Shared helpers of the tracking and operators' pages: the base map, markers that glide
// between fixes, a WebSocket that reconnects by itself, DOM and time helpers.
// A plain ES module: the server ships this file as it is, no build step.
/* global L */

// baseMap makes a Leaflet map in el. Without a tile URL (the default) it draws on a plain
// background and asks no other server for anything; with one, tiles come from there.
export function baseMap(el, options = {}) {
  const { tiles, tilesCredit } = document.body.dataset;
  const map = L.map(el, { attributionControl: Boolean(tiles), ...options });
  if (tiles) L.tileLayer(tiles, { attribution: tilesCredit, maxZoom: 19 }).addTo(map);
  return map;
}

// divIcon returns a marker icon whose shape is an inner span of the given classes.
export function divIcon(outer, inner, size) {
  return L.divIcon({ className: outer, html: `<span class="${inner}"></span>`, iconSize: [size, size] });
}

const glides = new WeakMap();

// glide moves marker to [lat, lng] over ms milliseconds from where it is drawn now,
// linearly (a courier rides at a steady pace), so it never jumps between two fixes. A
// newer glide of the same marker takes over from the current point.
export function glide(marker, to, ms) {
  const from = marker.getLatLng();
  const start = performance.now();
  const token = {};
  glides.set(marker, token);
  if (!(ms > 0) || document.hidden) {
    marker.setLatLng(to);
    return;
  }
  const step = (now) => {
    if (glides.get(marker) !== token) return;
    const t = Math.min(1, (now - start) / ms);
    marker.setLatLng([from.lat + (to[0] - from.lat) * t, from.lng + (to[1] - from.lng) * t]);
    if (t < 1) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

// wsURL turns a path of this server into a WebSocket URL.
export function wsURL(path) {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
}

// Reconnect backoff and liveness: the client pings every PING_MS; a connection that
// brings no frame (not even the ping's answer) for DEAD_MS is dropped and redialled.
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
const PING_MS = 20000;
const DEAD_MS = 45000;

// live keeps a WebSocket to url open. onFrame gets each parsed frame; onStatus gets
// 'open', 'reconnecting' (with the close event) or 'closed' when final(event) says the
// server ended the stream for good.
export function live(url, { onFrame, onStatus, final = () => false }) {
  let ws;
  let delay = BACKOFF_MIN_MS;
  let retry;
  let lastFrame = Date.now();
  let n = 0;
  const redial = (ev) => {
    onStatus('reconnecting', ev);
    clearTimeout(retry);
    retry = setTimeout(open, delay);
    delay = Math.min(delay * 2, BACKOFF_MAX_MS);
  };
  const open = () => {
    ws = new WebSocket(url);
    ws.onopen = () => {
      delay = BACKOFF_MIN_MS;
      lastFrame = Date.now();
      onStatus('open');
    };
    ws.onmessage = (ev) => {
      lastFrame = Date.now();
      let f;
      try {
        f = JSON.parse(ev.data);
      } catch {
        return;
      }
      onFrame(f);
    };
    ws.onclose = (ev) => {
      if (final(ev)) onStatus('closed', ev);
      else redial(ev);
    };
  };
  setInterval(() => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastFrame > DEAD_MS) {
      ws.onclose = null;
      ws.close();
      redial({ code: 0, reason: 'no answer' });
      return;
    }
    ws.send(JSON.stringify({ type: 'ping', id: `p${++n}` }));
  }, PING_MS);
  open();
}

// h builds an element: h('td', {class: 'x'}, 'text', child…). Text is never parsed as HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// hhmm formats an RFC 3339 time as the reader's local hour and minute.
export function hhmm(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' }) : '';
}

// distanceM is the great-circle distance in metres between two {lat, lng}.
export function distanceM(a, b) {
  const r = Math.PI / 180;
  const dLat = (b.lat - a.lat) * r;
  const dLng = (b.lng - a.lng) * r;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(dLng / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(s));
}
