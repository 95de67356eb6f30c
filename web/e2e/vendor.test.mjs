// The vendored libraries in static/vendor must be byte-for-byte the files of the npm
// packages pinned in package-lock.json (run ./vendor.sh after changing a version).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const web = path.resolve(import.meta.dirname, '..');
const lock = JSON.parse(readFileSync(path.join(web, 'package-lock.json'), 'utf8'));

const files = {
  leaflet: { 'dist/leaflet.js': 'leaflet.js', 'dist/leaflet.css': 'leaflet.css', LICENSE: 'LICENSE',
    ...Object.fromEntries(['layers.png', 'layers-2x.png', 'marker-icon.png', 'marker-icon-2x.png', 'marker-shadow.png']
      .map((f) => [`dist/images/${f}`, `images/${f}`])) },
  'h3-js': { 'dist/h3-js.umd.js': 'h3-js.umd.js', LICENSE: 'LICENSE', NOTICE: 'NOTICE' },
};

for (const [pkg, pinned] of [['leaflet', '1.9.4'], ['h3-js', '4.5.0']]) {
  test(`${pkg} ${pinned} is vendored unchanged`, () => {
    assert.equal(lock.packages[`node_modules/${pkg}`].version, pinned);
    const dir = path.join(web, 'static', 'vendor', `${pkg}-${pinned}`);
    for (const [from, to] of Object.entries(files[pkg])) {
      const want = readFileSync(path.join(web, 'node_modules', pkg, from));
      assert.ok(want.equals(readFileSync(path.join(dir, to))), `${to} differs from ${pkg}/${from}`);
    }
    const vendored = readdirSync(dir, { recursive: true }).filter((f) => !f.endsWith('images'));
    assert.equal(vendored.length, Object.keys(files[pkg]).length, `unexpected files in ${dir}: ${vendored}`);
  });
}
