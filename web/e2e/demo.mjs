// Test helpers: build the real binary, run `hummingbird demo` on a free loopback port,
// read the URLs it prints, and launch Debian's Chromium through playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

export const root = path.resolve(import.meta.dirname, '../..');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// isLoopback tells whether a URL's host is this machine (127.0.0.0/8, ::1, localhost).
export function isLoopback(url) {
  const u = new URL(url);
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

// startDemo builds cmd/hummingbird and runs `demo` with args until stop() is called.
export async function startDemo(args) {
  const dir = mkdtempSync(path.join(tmpdir(), 'hb-e2e-'));
  const bin = path.join(dir, 'hummingbird');
  execFileSync('go', ['build', '-o', bin, './cmd/hummingbird'], { cwd: root, stdio: 'inherit' });
  const env = { ...process.env };
  delete env.HUMMINGBIRD_ADDR; // demo then listens on a free loopback port
  delete env.HUMMINGBIRD_PUBLIC_URL;
  delete env.HUMMINGBIRD_TILE_URL;
  const proc = spawn(bin, ['demo', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const demo = { base: null, ops: null, tracks: [], output: [], proc };
  let stderr = '';
  proc.stderr.on('data', (b) => { stderr = (stderr + b).slice(-4000); });
  const waiters = new Set();
  createInterface({ input: proc.stdout }).on('line', (line) => {
    demo.output.push(line);
    let m;
    if ((m = /^Hummingbird demo at (\S+)/.exec(line))) demo.base = m[1];
    if ((m = /^\s+ops page:\s+(\S+)/.exec(line))) demo.ops = m[1];
    if ((m = /^\s+track page:\s+(\S+)/.exec(line))) demo.tracks.push(m[1]);
    for (const w of waiters) w();
  });
  // until resolves once cond() holds on what the demo printed, or fails after ms.
  demo.until = (cond, ms, what) => new Promise((resolve, reject) => {
    const check = () => {
      if (cond()) {
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      }
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`demo printed no ${what} in ${ms} ms:\n${demo.output.join('\n')}\n${stderr}`));
    }, ms);
    waiters.add(check);
    exited.then(() => reject(new Error(`demo exited early:\n${demo.output.join('\n')}\n${stderr}`)));
    check();
  });
  demo.stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT');
    const t = setTimeout(() => proc.kill('SIGKILL'), 15000);
    const res = await exited;
    clearTimeout(t);
    rmSync(dir, { recursive: true, force: true });
    return res;
  };
  return demo;
}

// launch starts headless Chromium without any background traffic of its own.
export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

// guard records every request and WebSocket of a browser context that leaves loopback,
// and every uncaught page error.
export function guard(context) {
  const g = { offLoopback: [], pageErrors: [] };
  context.on('request', (r) => {
    if (!isLoopback(r.url())) g.offLoopback.push(r.url());
  });
  context.on('page', (p) => watchPage(p, g));
  return g;
}

function watchPage(p, g) {
  p.on('websocket', (ws) => {
    if (!isLoopback(ws.url())) g.offLoopback.push(ws.url());
  });
  p.on('pageerror', (e) => g.pageErrors.push(e.message));
}

// getJSON fetches a loopback URL as JSON (status included).
export async function getJSON(url) {
  const res = await fetch(url, { cache: 'no-store' });
  return { status: res.status, body: res.ok ? await res.json() : null };
}
