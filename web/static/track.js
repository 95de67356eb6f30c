// The customer's tracking page. Everything comes over the tracking socket
// (docs/protocol.md): a snapshot, then status, position and eta frames; the snapshot is
// fetched again only to learn the courier's first name once one is assigned.
/* global L */
import { baseMap, divIcon, glide, live, wsURL, hhmm, distanceM } from './common.js';

const STALE_MS = 30000; // no fix for this long while a courier is on the way: hide the map
const NEAR_M = 400; // "arriving soon" once the courier carrying the order is this close
const GLIDE_MIN_MS = 200;
const GLIDE_MAX_MS = 5000;
const ACTIVE = new Set(['assigned', 'at_pickup', 'picked_up', 'at_dropoff']);
const CLOSED = new Set(['delivered', 'canceled', 'expired', 'failed']);
const VEHICLE = { foot: ' on foot', bicycle: ' by bike', scooter: ' by scooter', car: ' by car' };
const STEPS = ['paid', 'assigned', 'at_pickup', 'picked_up', 'on_the_way', 'arriving', 'delivered'];
// The event whose time each step shows.
const STEP_TIME = { paid: 'paid', assigned: 'assigned', at_pickup: 'at_pickup', picked_up: 'picked_up',
  on_the_way: 'picked_up', arriving: 'at_dropoff', delivered: 'delivered' };
const ENDED = {
  canceled: ['Order canceled', 'If you were charged, the refund is on its way.'],
  expired: ['Order expired', 'The payment did not go through in time.'],
  failed: ['Delivery failed', 'The shop will get in touch with you.'],
};

const $ = (id) => document.getElementById(id);
const body = document.body;
const token = body.dataset.token;

const st = {
  order: null, // the snapshot, updated by frames
  at: {}, // state → time entered
  ts: null, // server time of the last snapshot or eta frame
  pos: null, // last courier fix {lat, lng}
  fixAt: 0, // when it arrived (browser clock)
  activeSince: 0, // when the page saw the order become active (browser clock)
  fetchingCourier: false,
};

const map = baseMap($('map'), { zoomControl: false });
let courier = null;
let framed = '';

function onFrame(f) {
  if (f.type === 'snapshot') {
    st.order = f.data;
    st.ts = f.ts;
    st.at = {};
    for (const e of f.data.events) st.at[e.state] = e.at;
    if (f.data.courier_position) fix(f.data.courier_position);
    else dropCourier();
    placeStops();
  } else if (!st.order) {
    return;
  } else if (f.type === 'status') {
    st.order.state = f.data.state;
    st.at[f.data.state] = f.data.at;
    if (!ACTIVE.has(f.data.state)) dropCourier();
    if (CLOSED.has(f.data.state)) st.order.eta_window = null;
  } else if (f.type === 'position') {
    if (ACTIVE.has(st.order.state)) fix(f.data);
  } else if (f.type === 'eta') {
    st.order.eta = f.data.eta;
    st.order.eta_window = f.data.eta_window;
    st.ts = f.ts;
  } else {
    return;
  }
  needCourier();
  render();
}

// needCourier fetches the snapshot once to learn who was assigned (status frames carry
// the state only).
async function needCourier() {
  const o = st.order;
  if (o.courier || st.fetchingCourier || !(ACTIVE.has(o.state) || o.state === 'delivered')) return;
  st.fetchingCourier = true;
  try {
    const res = await fetch(`/v1/track/${encodeURIComponent(token)}`, { cache: 'no-store' });
    if (res.ok) {
      const v = await res.json();
      if (v.courier) {
        o.courier = v.courier;
        render();
      }
    }
  } finally {
    st.fetchingCourier = false;
  }
}

function placeStops() {
  const o = st.order;
  const key = `${o.pickup.pos.lat},${o.pickup.pos.lng},${o.dropoff.pos.lat},${o.dropoff.pos.lng}`;
  if (key === framed) return;
  framed = key;
  L.marker([o.pickup.pos.lat, o.pickup.pos.lng], { icon: divIcon('stop-icon', 'pin pin-shop', 18), title: o.pickup.name || 'Shop', keyboard: false }).addTo(map);
  L.marker([o.dropoff.pos.lat, o.dropoff.pos.lng], { icon: divIcon('stop-icon', 'pin pin-home', 18), title: 'You', keyboard: false }).addTo(map);
  frame();
}

// frame fits the shop, the destination and the courier (if shown) in view.
function frame() {
  const o = st.order;
  const pts = [[o.pickup.pos.lat, o.pickup.pos.lng], [o.dropoff.pos.lat, o.dropoff.pos.lng]];
  if (courier) pts.push([st.pos.lat, st.pos.lng]);
  map.fitBounds(pts, { padding: [36, 36], maxZoom: 16 });
}

function fix(p) {
  const now = Date.now();
  const to = [p.lat, p.lng];
  const ms = st.fixAt ? Math.min(GLIDE_MAX_MS, Math.max(GLIDE_MIN_MS, now - st.fixAt)) : 0;
  st.pos = { lat: p.lat, lng: p.lng };
  st.fixAt = now;
  if (!courier) {
    courier = L.marker(to, { icon: divIcon('courier-icon', 'pin pin-courier', 20), title: 'Courier', keyboard: false, zIndexOffset: 1000 }).addTo(map);
    if (st.order) frame();
  } else {
    glide(courier, to, ms);
    if (!map.getBounds().pad(-0.05).contains(to)) frame();
  }
  const el = courier.getElement();
  el.dataset.lat = p.lat;
  el.dataset.lng = p.lng;
}

function dropCourier() {
  if (courier) courier.remove();
  courier = null;
  st.pos = null;
  st.fixAt = 0;
}

function arriving() {
  const o = st.order;
  return o.state === 'at_dropoff' || (o.state === 'picked_up' && st.pos !== null && distanceM(st.pos, o.dropoff.pos) < NEAR_M);
}

// stepIndex is the step the order is at, -1 before payment.
function stepIndex() {
  const s = st.order.state;
  if (s === 'paid' || s === 'dispatching') return 0;
  if (s === 'assigned') return 1;
  if (s === 'at_pickup') return 2;
  if (s === 'picked_up') return arriving() ? 5 : 4;
  if (s === 'at_dropoff') return 5;
  if (s === 'delivered') return 6;
  // Canceled, expired, failed: the last step reached before the end.
  for (const [state, i] of [['picked_up', 4], ['at_pickup', 2], ['assigned', 1], ['paid', 0]]) if (st.at[state]) return i;
  return -1;
}

function minutesFrom(iso) {
  return Math.max(0, Math.round((new Date(iso) - new Date(st.ts)) / 60000));
}

function renderETA() {
  const o = st.order;
  const w = o.eta_window;
  let label = 'Arriving between';
  let value = w ? `${hhmm(w.from)} – ${hhmm(w.to)}` : '';
  let sub = w ? `in about ${minutesFrom(w.from)}–${minutesFrom(w.to)} min` : '';
  if (o.state === 'pending_payment') {
    label = 'Waiting for payment';
  } else if (o.state === 'paid' || o.state === 'dispatching') {
    sub = 'Finding a courier for you…';
  } else if (o.state === 'delivered') {
    [label, value, sub] = ['Delivered', `at ${hhmm(st.at.delivered)}`, 'Enjoy, and thank you!'];
  } else if (ENDED[o.state]) {
    [label, value, sub] = ['', ...ENDED[o.state]];
  }
  $('eta-label').textContent = label;
  $('eta-value').textContent = value || '\u00a0';
  $('eta-sub').textContent = sub;
}

function renderSteps() {
  const cur = stepIndex();
  const closed = CLOSED.has(st.order.state);
  STEPS.forEach((name, i) => {
    const li = document.querySelector(`#steps li[data-step="${name}"]`);
    const isCurrent = i === cur && !(closed && st.order.state !== 'delivered');
    li.classList.toggle('done', i < cur || (i === cur && closed));
    li.classList.toggle('current', isCurrent);
    if (isCurrent) li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
    const at = i <= cur ? st.at[STEP_TIME[name]] : null;
    li.querySelector('time').textContent = at ? hhmm(at) : '';
    if (at) li.querySelector('time').setAttribute('datetime', at);
  });
}

function render() {
  const o = st.order;
  body.dataset.state = o.state;
  body.classList.toggle('closed', CLOSED.has(o.state));
  renderETA();
  renderSteps();
  const c = ACTIVE.has(o.state) || o.state === 'delivered' ? o.courier : null;
  $('who').hidden = !c;
  if (c) {
    $('courier-name').textContent = c.first_name;
    $('courier-vehicle').textContent = VEHICLE[c.vehicle] || '';
  }
  $('code').hidden = CLOSED.has(o.state) || !o.handoff_code;
  $('code-value').textContent = o.handoff_code || '';
  $('arriving').hidden = !arriving();
  tick();
}

// tick runs every second: the "updated N s ago" line and the stale fallback.
function tick() {
  if (!st.order) return;
  const active = ACTIVE.has(st.order.state);
  const now = Date.now();
  if (!active) st.activeSince = 0;
  else if (!st.activeSince) st.activeSince = now;
  const since = st.fixAt || st.activeSince;
  const stale = active && now - since > STALE_MS;
  if (stale && courier) courier.setOpacity(0);
  else if (courier) courier.setOpacity(1);
  const wasStale = body.classList.contains('stale');
  body.classList.toggle('stale', stale);
  $('stale').hidden = !stale;
  if (wasStale && !stale) map.invalidateSize();
  let note = '';
  if (active) note = st.fixAt ? `Courier position updated ${Math.round((now - st.fixAt) / 1000)} s ago` : 'Waiting for the courier\u2019s position…';
  $('updated').textContent = note;
}

setInterval(tick, 1000);

live(wsURL(`/v1/track/${encodeURIComponent(token)}/ws`), {
  onFrame,
  final: (ev) => ev.code === 4001,
  onStatus: (s) => {
    body.dataset.conn = s;
    $('reconnecting').hidden = s !== 'reconnecting';
    if (!st.order && s === 'reconnecting') $('eta-label').textContent = 'Connecting…';
  },
});
