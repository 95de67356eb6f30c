#!/usr/bin/env bash
# Copies the vendored browser libraries from node_modules (installed by `npm ci` at the
# exact versions of package-lock.json) into static/vendor, where the binary embeds them.
# Run it after changing a version in package.json; e2e/vendor.test.mjs checks the copies.
set -euo pipefail
cd "$(dirname "$0")"
[ -d node_modules ] || npm ci --ignore-scripts
leaflet=$(node -p 'require("./node_modules/leaflet/package.json").version')
h3=$(node -p 'require("./node_modules/h3-js/package.json").version')
rm -rf static/vendor
mkdir -p "static/vendor/leaflet-$leaflet/images" "static/vendor/h3-js-$h3"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/LICENSE "static/vendor/leaflet-$leaflet/"
cp node_modules/leaflet/dist/images/*.png "static/vendor/leaflet-$leaflet/images/"
cp node_modules/h3-js/dist/h3-js.umd.js node_modules/h3-js/LICENSE node_modules/h3-js/NOTICE "static/vendor/h3-js-$h3/"
echo "vendored leaflet $leaflet and h3-js $h3 into static/vendor"
