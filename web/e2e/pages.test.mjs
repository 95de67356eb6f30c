// Browser tests of the two pages against the real binary: `hummingbird demo` runs a
// simulated Paris on a free loopback port; Debian's Chromium (driven by playwright-core)
// opens a tracking link and the operators' page. Every request must stay on loopback.
// Screenshots of both pages go to docs/screenshots for the README.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startDemo, launch, guard, getJSON, isLoopback, root, CHROMIUM } from './demo.mjs';

const SHOTS = path.join(root, 'docs', 'screenshots');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const EARLY = new Set(['paid', 'dispatching', 'assigned', 'at_pickup']);

const missing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium; .ci/run does it)`;
if (missing && process.env.CI === 'true') throw new Error(missing);

let demo;
let browser;

before(async () => {
  if (missing) return;
  // ×60: an order goes from payment to the door in well under a minute of wall time.
  demo = await startDemo(['--speed', '60', '--rate', '2', '--links', '12']);
  await demo.until(() => demo.ops && demo.tracks.length >= 6, 30000, 'ops link and six tracking links');
  assert.ok(isLoopback(demo.base), `demo listens on ${demo.base}`);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (demo) {
    const { code, signal } = await demo.stop();
    assert.ok(code === 0 || signal === 'SIGINT', `demo ended with code ${code}, signal ${signal}`);
  }
});

// pickOrder waits until one printed order is paid but not yet picked up, so that the
// page can watch it from (nearly) the start to the door.
async function pickOrder() {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    for (const url of demo.tracks) {
      const token = url.split('/').pop();
      const { body } = await getJSON(`${demo.base}/v1/track/${token}`);
      if (body && EARLY.has(body.state)) return url;
    }
    await new Promise((r) => setTimeout(r, 250)); // polling interval, not synchronisation
  }
  throw new Error('no printed order reached payment within 30 s');
}

test('tracking page follows a delivery to the door', { skip: missing, timeout: 150000 }, async () => {
  const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 });
  const g = guard(context);
  const page = await context.newPage();

  const notFound = await page.goto(`${demo.base}/track/no-such-token`);
  assert.equal(notFound.status(), 404);
  assert.match(await page.locator('h1').innerText(), /can't find this delivery/);

  const url = await pickOrder();
  const res = await page.goto(url);
  assert.equal(res.status(), 200);
  assert.equal(res.headers()['referrer-policy'], 'no-referrer');
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 10000 });
  assert.match(await page.locator('#eta-value').innerText(), /\d/, 'the ETA shows a time range first');

  // A courier appears once assigned, with first name and vehicle, and moves.
  const marker = page.locator('.courier-icon[data-lat]');
  await marker.waitFor({ timeout: 60000 });
  assert.match(await page.locator('#courier-name').innerText(), /^\p{L}+$/u);
  const first = await marker.evaluate((el) => [el.dataset.lat, el.dataset.lng, el.style.transform]);
  await page.waitForFunction(([lat, lng, transform]) => {
    const el = document.querySelector('.courier-icon[data-lat]');
    return el && (el.dataset.lat !== lat || el.dataset.lng !== lng) && el.style.transform !== transform;
  }, first, { timeout: 60000, polling: 100 });

  // On the way: the courier on the map, away from the shop, "updated N s ago", the step
  // highlighted. The screenshot for the README is taken then.
  await page.evaluate(() => {
    window.apart = (a, b) => {
      const [p, q] = [a, b].map((s) => document.querySelector(s)?.getBoundingClientRect());
      return p && q ? Math.hypot(p.x - q.x, p.y - q.y) : 0;
    };
  });
  await page.waitForFunction(() => ['picked_up', 'at_dropoff'].includes(document.body.dataset.state) &&
    document.querySelector('.courier-icon[data-lat]') &&
    /updated \d+ s ago/.test(document.getElementById('updated').textContent) &&
    document.querySelectorAll('li[data-step="on_the_way"].current, li[data-step="arriving"].current').length === 1 &&
    document.querySelectorAll('li.done').length >= 4 && apart('.courier-icon', '.pin-shop') > 40, null, { timeout: 60000 });
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'track.png'), fullPage: true });

  // Delivered: the time, no courier on the map any more, the last step highlighted.
  await page.waitForFunction(() => document.body.dataset.state === 'delivered', null, { timeout: 90000 });
  assert.match(await page.locator('#eta-value').innerText(), /^at \d/);
  assert.equal(await page.locator('.courier-icon').count(), 0, 'the courier is hidden after delivery');
  assert.equal(await page.locator('li[data-step="delivered"].current').count(), 1);
  assert.ok(await page.locator('#code').isHidden(), 'the handoff code is gone after delivery');

  assert.deepEqual(g.offLoopback, [], 'requests left loopback');
  assert.deepEqual(g.pageErrors, []);
  await context.close();
});

test('tracking page falls back to status and ETA, shows reconnecting and canceled', { skip: missing, timeout: 30000 }, async () => {
  // The page is the real one; its socket is replaced by a scripted one, and time by a
  // fake clock, so the fallbacks are reached without waiting.
  const context = await browser.newContext({ viewport: PHONE });
  const g = guard(context);
  const page = await context.newPage();
  await page.clock.install();
  const at = '2026-01-01T12:00:00Z';
  let server;
  await page.routeWebSocket(/\/v1\/track\/[^/]+\/ws$/, (ws) => {
    server = ws;
    ws.send(JSON.stringify({ type: 'snapshot', ts: at, data: {
      order_id: 'ord_x', state: 'picked_up', pickup: { name: 'Shop', pos: { lat: 48.857, lng: 2.35 } },
      dropoff: { pos: { lat: 48.86, lng: 2.36 } }, promised_at: at, eta: at,
      eta_window: { from: '2026-01-01T12:10:00Z', to: '2026-01-01T12:14:00Z' },
      courier_position: { lat: 48.858, lng: 2.352 }, courier: { first_name: 'Léa', vehicle: 'bicycle' },
      events: [{ state: 'paid', at }, { state: 'assigned', at }, { state: 'picked_up', at }], handoff_code: '1234',
    } }));
  });
  await page.goto(demo.tracks[0]);
  await page.locator('.courier-icon[data-lat]').waitFor();
  assert.ok(await page.locator('#map-card').isVisible());
  assert.match(await page.locator('#who').innerText(), /Léa.*by bike/);

  // Positions stop: after 30 s the map gives way to a notice; status and ETA stay.
  await page.clock.fastForward(31000);
  await page.waitForFunction(() => document.body.classList.contains('stale'));
  assert.ok(await page.locator('#map-card').isHidden(), 'no frozen map');
  assert.ok(await page.locator('#stale').isVisible());
  assert.match(await page.locator('#eta-value').innerText(), /\d/);

  // A fix brings the map back.
  server.send(JSON.stringify({ type: 'position', ts: at, data: { lat: 48.859, lng: 2.355, at } }));
  await page.waitForFunction(() => !document.body.classList.contains('stale'));
  assert.ok(await page.locator('#map-card').isVisible());

  // Near the door: the arriving cue.
  server.send(JSON.stringify({ type: 'position', ts: at, data: { lat: 48.8598, lng: 2.3597, at } }));
  await page.locator('#arriving').waitFor();

  // The connection drops: a visible reconnecting state.
  await server.close({ code: 1011, reason: 'test' });
  await page.locator('#reconnecting').waitFor();

  // Reconnected, the order turns out canceled.
  await page.clock.fastForward(1000);
  await page.waitForFunction(() => document.body.dataset.conn === 'open');
  assert.ok(await page.locator('#reconnecting').isHidden());
  server.send(JSON.stringify({ type: 'status', ts: at, data: { order_id: 'ord_x', seq: 9, state: 'canceled', at } }));
  await page.waitForFunction(() => document.body.dataset.state === 'canceled');
  assert.equal(await page.locator('#eta-value').innerText(), 'Order canceled');
  assert.ok(await page.locator('#map-card').isHidden());
  assert.equal(await page.locator('.courier-icon').count(), 0);

  assert.deepEqual(g.offLoopback, []);
  assert.deepEqual(g.pageErrors, []);
  await context.close();
});

test('ops page shows the city live', { skip: missing, timeout: 90000 }, async () => {
  const context = await browser.newContext({ viewport: DESKTOP, deviceScaleFactor: 1 });
  const g = guard(context);
  const page = await context.newPage();

  // Without a session: the sign-in form; a wrong token is refused.
  await page.goto(`${demo.base}/ops`);
  await page.fill('#token', 'wrong-token');
  await page.click('button[type=submit]');
  await page.locator('#error').waitFor();
  assert.match(await page.locator('#error').innerText(), /not right/);

  // The demo's link signs in from its fragment, and the token leaves the address bar.
  await page.goto('about:blank'); // from /ops, the link alone would only change the fragment
  await page.goto(demo.ops);
  await page.locator('#kpis').waitFor();
  assert.equal(new URL(page.url()).hash, '');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'hb_ops');
  assert.ok(session && session.httpOnly && session.sameSite === 'Strict', 'HttpOnly SameSite=Strict session cookie');

  await page.waitForFunction(() => {
    const v = (id) => Number(document.getElementById(id).textContent);
    return v('kpi-online') > 0 && v('kpi-in-progress') > 0 && v('kpi-delivered') > 0 &&
      document.querySelectorAll('.courier-icon[data-courier]').length > 0 &&
      document.querySelectorAll('path.hex').length > 0 && document.querySelectorAll('path.zone').length === 2;
  }, null, { timeout: 60000 });
  assert.match(await page.locator('#kpi-on-time').innerText(), /^\d+%$/);
  assert.match(await page.locator('#kpi-paid-assigned').innerText(), /\d/);
  assert.equal(await page.locator('#conn').innerText(), 'live');

  // Click a courier on a job: its current jobs.
  const busy = page.locator('.courier-icon[data-state="busy"], .courier-icon[data-state="late"]').first();
  await busy.waitFor({ timeout: 30000 });
  await busy.dispatchEvent('click');
  await page.locator('#detail[data-detail="courier"]').waitFor();
  assert.match(await page.locator('#detail').innerText(), /Current jobs \(\d+\)/);

  // Click an order: its dispatch trace.
  await page.locator('.order-icon[data-order]').first().dispatchEvent('click');
  await page.locator('#detail[data-detail="trace"]').waitFor();
  assert.match(await page.locator('#detail').innerText(), /Order …/);

  await page.screenshot({ path: path.join(SHOTS, 'ops.png') });
  assert.deepEqual(g.offLoopback, [], 'requests left loopback');
  assert.deepEqual(g.pageErrors, []);
  await context.close();
});
