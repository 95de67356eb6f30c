// The operators' city map. The directory (service areas, station zones) is read once
// over HTTP with the session cookie; everything live arrives as "ops" frames on the
// operators' socket (docs/protocol.md), about once a second.
/* global L, h3 */
import { baseMap, divIcon, glide, live, wsURL, h, hhmm } from './common.js';

const COURIER_GLIDE_MS = 1000; // one push period
const STATE_LABEL = { available: 'available', busy: 'on a job', late: 'late', paused: 'paused', offline: 'offline' };
const $ = (id) => document.getElementById(id);
const body = document.body;

const map = baseMap($('map'), { preferCanvas: false });
map.setView([48.8566, 2.3522], 13);
const layers = {
  zones: L.layerGroup().addTo(map),
  hexes: L.layerGroup().addTo(map),
  orders: L.layerGroup().addTo(map),
  couriers: L.layerGroup().addTo(map),
};
L.control.layers(null, {
  'Supply / demand (H3)': layers.hexes,
  'Station zones': layers.zones,
  Orders: layers.orders,
  Couriers: layers.couriers,
}, { collapsed: false }).addTo(map);

const couriers = new Map(); // id → {marker, cls, kind}
const orders = new Map(); // id → {pickup, dropoff, look}
const hexes = new Map(); // cell → {poly, cls}
let view = null;

async function getJSON(path) {
  const res = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  if (res.status === 401) location.reload(); // the session ended: back to the sign-in form
  if (!res.ok) throw Object.assign(new Error(`${path}: ${res.status}`), { status: res.status });
  return res.json();
}

async function drawDirectory() {
  const [{ areas }, { stations }] = await Promise.all([getJSON('/v1/admin/areas'), getJSON('/v1/admin/stations')]);
  const bounds = L.latLngBounds([]);
  for (const a of areas) {
    const p = L.polygon(a.polygon.map((v) => [v.lat, v.lng]), { className: 'area', color: '#667085', weight: 1, fill: false, interactive: false }).addTo(layers.zones);
    bounds.extend(p.getBounds());
  }
  for (const s of stations) {
    L.polygon(s.zone.map((v) => [v.lat, v.lng]), { className: 'zone', color: '#0f766e', weight: 2, dashArray: '6 4', fillOpacity: 0.04 })
      .bindTooltip(`Station ${s.name}`).addTo(layers.zones);
  }
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
}

function courierClass(c) {
  if (!c.connected) return 'offline';
  if (c.late) return 'late';
  return c.state === 'busy' ? 'busy' : c.state;
}

function ago(fromIso, toIso) {
  const s = Math.max(0, Math.round((new Date(toIso) - new Date(fromIso)) / 1000));
  return s < 90 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

function drawCouriers(v) {
  const seen = new Set();
  for (const c of v.couriers) {
    if (!c.pos) continue;
    seen.add(c.id);
    const cls = courierClass(c);
    const to = [c.pos.lat, c.pos.lng];
    let tip = `${c.name} · ${c.kind} · ${STATE_LABEL[cls]} · ${c.load}/${c.capacity}`;
    if (cls === 'offline') tip += ` · last seen ${ago(c.seen, v.at)}`;
    let x = couriers.get(c.id);
    if (!x) {
      const marker = L.marker(to, { icon: divIcon('courier-icon', `courier courier-${cls} ${c.kind}`, 18), keyboard: false })
        .bindTooltip(tip).on('click', () => showCourier(c.id)).addTo(layers.couriers);
      x = { marker, cls, kind: c.kind };
      couriers.set(c.id, x);
    } else {
      if (x.cls !== cls) {
        x.marker.setIcon(divIcon('courier-icon', `courier courier-${cls} ${c.kind}`, 18));
        x.cls = cls;
      }
      x.marker.setTooltipContent(tip);
      glide(x.marker, to, COURIER_GLIDE_MS);
    }
    const el = x.marker.getElement();
    if (el) {
      el.dataset.courier = c.id;
      el.dataset.state = cls;
    }
  }
  for (const [id, x] of couriers) {
    if (!seen.has(id)) {
      x.marker.remove();
      couriers.delete(id);
    }
  }
}

function orderMarker(pos, inner, tip, id) {
  return L.marker([pos.lat, pos.lng], { icon: divIcon('order-icon', `order ${inner}`, inner === 'order-waiting' ? 18 : 14), keyboard: false })
    .bindTooltip(tip).on('click', () => showOrder(id)).addTo(layers.orders);
}

function drawOrders(v) {
  const seen = new Set();
  for (const o of v.orders) {
    seen.add(o.id);
    const waiting = o.state === 'dispatching';
    const beforePickup = waiting || o.state === 'assigned' || o.state === 'at_pickup';
    const look = `${waiting}|${beforePickup}|${o.late}`;
    let x = orders.get(o.id);
    if (x && x.look === look) continue;
    if (x) {
      x.pickup?.remove();
      x.dropoff.remove();
    }
    const late = o.late ? ' · late' : '';
    const name = o.pickup_name || 'shop';
    x = {
      look,
      pickup: beforePickup ? orderMarker(o.pickup, waiting ? 'order-waiting' : 'order-pickup', `${waiting ? 'Waiting' : 'Pickup'}: ${name}${late}`, o.id) : null,
      dropoff: orderMarker(o.dropoff, 'order-dropoff', `Drop-off of ${o.id}${late}`, o.id),
    };
    for (const m of [x.pickup, x.dropoff]) if (m) m.getElement().dataset.order = o.id;
    orders.set(o.id, x);
  }
  for (const [id, x] of orders) {
    if (!seen.has(id)) {
      x.pickup?.remove();
      x.dropoff.remove();
      orders.delete(id);
    }
  }
}

// drawHexes shades each H3 cell by supply (available couriers) against demand (orders
// waiting there): red where orders outnumber couriers, green where couriers are spare,
// stronger with the difference.
function drawHexes(v) {
  const seen = new Set();
  for (const c of v.cells) {
    if (c.available === 0 && c.waiting === 0) continue;
    seen.add(c.cell);
    const cls = c.waiting > c.available ? 'hex-short' : 'hex-ok';
    const fillOpacity = Math.min(0.55, 0.15 + 0.1 * Math.abs(c.waiting - c.available));
    const tip = `${c.available} available · ${c.busy} busy · ${c.waiting} waiting`;
    let x = hexes.get(c.cell);
    if (x && x.cls !== cls) {
      x.poly.remove();
      x = null;
    }
    if (!x) {
      const poly = L.polygon(h3.cellToBoundary(c.cell), { className: `hex ${cls}`, weight: 1, opacity: 0.6, fillOpacity }).bindTooltip(tip).addTo(layers.hexes);
      x = { poly, cls };
      hexes.set(c.cell, x);
    } else {
      x.poly.setStyle({ fillOpacity });
      x.poly.setTooltipContent(tip);
    }
  }
  for (const [cell, x] of hexes) {
    if (!seen.has(cell)) {
      x.poly.remove();
      hexes.delete(cell);
    }
  }
}

function drawKPIs(k) {
  const fmtPct = (p) => (p === null ? '–' : `${Math.round(p)}%`);
  const fmtSec = (s) => (s === null ? '–' : s < 120 ? `${Math.round(s)} s` : `${(s / 60).toFixed(1)} min`);
  $('kpi-unassigned').textContent = k.unassigned;
  $('kpi-unassigned').parentElement.classList.toggle('hot', k.unassigned > 0);
  $('kpi-in-progress').textContent = k.in_progress;
  $('kpi-delivered').textContent = k.delivered_today;
  $('kpi-on-time').textContent = fmtPct(k.on_time_pct);
  $('kpi-paid-assigned').textContent = fmtSec(k.median_paid_to_assigned_seconds);
  const c = k.couriers;
  $('kpi-online').textContent = c.available + c.busy + c.late + c.paused;
  $('kpi-online').title = `${c.available} available, ${c.busy} on a job, ${c.late} late, ${c.paused} paused, ${c.offline} offline`;
}

function render(v) {
  view = v;
  drawKPIs(v.kpis);
  drawHexes(v);
  drawOrders(v);
  drawCouriers(v);
  body.dataset.at = v.at;
}

function detail(kind, ...children) {
  const d = $('detail');
  d.dataset.detail = kind;
  d.replaceChildren(...children);
}

async function showCourier(id) {
  detail('loading', h('p', { class: 'hint' }, 'Loading…'));
  let j;
  try {
    j = await getJSON(`/v1/admin/couriers/${encodeURIComponent(id)}/jobs`);
  } catch (err) {
    detail('error', h('p', { class: 'hint' }, `Could not load the courier (${err.message}).`));
    return;
  }
  const c = j.courier;
  const cls = courierClass(c);
  detail('courier',
    h('h2', {}, c.name),
    h('dl', {},
      h('dt', {}, 'Kind'), h('dd', {}, `${c.kind}, ${c.vehicle}`),
      h('dt', {}, 'State'), h('dd', {}, STATE_LABEL[cls]),
      h('dt', {}, 'Load'), h('dd', {}, `${c.load} of ${c.capacity}`),
      h('dt', {}, 'Last fix'), h('dd', {}, c.seen ? hhmm(c.seen) : '–')),
    h('h2', {}, `Current jobs (${j.orders.length})`),
    j.orders.length === 0 ? h('p', { class: 'hint' }, 'No order.') : h('table', { class: 'jobs' },
      h('tr', {}, h('th', {}, 'Order'), h('th', {}, 'State'), h('th', {}, 'Promised'), h('th', {}, 'ETA')),
      j.orders.map((o) => h('tr', { class: o.late ? 'late' : null },
        h('td', {}, o.id.slice(-8)), h('td', {}, o.state), h('td', {}, hhmm(o.promised_at)), h('td', {}, o.eta ? hhmm(o.eta) : '–')))),
    j.offers.length ? h('p', {}, `Open offers: ${j.offers.map((f) => `${f.kind} ${f.order_ids.length} order(s) until ${hhmm(f.expires_at)}`).join('; ')}`) : null);
}

async function showOrder(id) {
  detail('loading', h('p', { class: 'hint' }, 'Loading…'));
  const o = view?.orders.find((x) => x.id === id);
  const head = [h('h2', {}, `Order …${id.slice(-8)}`),
    o ? h('dl', {},
      h('dt', {}, 'State'), h('dd', {}, o.state + (o.late ? ' (late)' : '')),
      h('dt', {}, 'Shop'), h('dd', {}, o.pickup_name || '–'),
      h('dt', {}, 'Promised'), h('dd', {}, hhmm(o.promised_at))) : null];
  let t;
  try {
    t = await getJSON(`/v1/admin/orders/${encodeURIComponent(id)}/trace`);
  } catch (err) {
    detail('trace', ...head, h('p', { class: 'hint' }, err.status === 404 ? 'No dispatch round has seen this order yet.' : `Could not load the trace (${err.message}).`));
    return;
  }
  detail('trace', ...head,
    h('h2', {}, 'Dispatch trace'),
    t.winner ? h('p', {}, `Won by ${t.winner.slice(-8)}: ${t.reason}`) : h('p', { class: 'hint' }, 'No courier yet.'),
    h('table', { class: 'trace' },
      h('tr', {}, h('th', {}, 'At'), h('th', {}, 'Phase'), h('th', {}, 'Candidates'), h('th', {}, 'Outcome')),
      t.rounds.map((r) => h('tr', {},
        h('td', {}, hhmm(r.at)),
        h('td', {}, r.phase + (r.ring ? ` r${r.ring}` : '')),
        h('td', {}, r.candidates.map((c) => `${c.courier_id.slice(-6)} ${Math.round(c.distance_m)} m`).join(', ') || '–'),
        h('td', {}, r.outcome + (r.winner ? ` → ${r.winner.slice(-6)}` : ''))))));
}

drawDirectory().catch((err) => console.error(err));
live(wsURL('/v1/admin/ws'), {
  onFrame: (f) => {
    if (f.type === 'ops') render(f.data);
  },
  onStatus: (s) => {
    body.dataset.conn = s;
    $('conn').textContent = s === 'open' ? 'live' : s === 'reconnecting' ? 'reconnecting…' : s;
    // A refused upgrade looks like any lost connection; ask whether the session ended.
    if (s === 'reconnecting') getJSON('/v1/admin/ops').catch(() => {});
  },
});
