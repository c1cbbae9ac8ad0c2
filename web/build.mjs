// build.mjs - turns web/src into the static files that `truceline serve --web DIR` serves.
//
//     node build.mjs [OUTDIR]        (default: dist, next to this file)
//
// There is no bundler: the browser loads the sources as ES modules, so the build only
//   - copies src/ as it is,
//   - copies the vendored libraries out of node_modules (Leaflet's ES module and CSS, uPlot's
//     ES module and CSS) into vendor/, with their licences,
//   - converts Natural Earth (world-atlas, TopoJSON) into two small GeoJSON files with
//     topojson-client: land polygons and the borders between countries, coordinates rounded
//     to 0.001 degrees (about 100 m, more than the 1:50m data holds).
// Nothing is fetched at run time: the page asks only the server that served it.
import { mkdirSync, readFileSync, writeFileSync, cpSync, rmSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { feature, mesh } from 'topojson-client';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, 'dist'));
const nm = join(here, 'node_modules');

function need(path) {
  if (!existsSync(path)) {
    console.error(`web build: ${path} is missing; run npm ci in ${here}`);
    process.exit(1);
  }
  return path;
}

function round(coords) {
  if (typeof coords[0] === 'number') {
    return [Math.round(coords[0] * 1000) / 1000, Math.round(coords[1] * 1000) / 1000];
  }
  return coords.map(round);
}

function roundGeometry(g) {
  return { type: g.type, coordinates: round(g.coordinates) };
}

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'vendor'), { recursive: true });
cpSync(join(here, 'src'), out, { recursive: true });

const vendor = [
  ['leaflet/dist/leaflet-src.esm.js', 'leaflet.js'],
  ['leaflet/dist/leaflet.css', 'leaflet.css'],
  ['leaflet/LICENSE', 'LICENSE.leaflet.txt'],
  ['uplot/dist/uPlot.esm.js', 'uplot.js'],
  ['uplot/dist/uPlot.min.css', 'uplot.css'],
  ['uplot/LICENSE', 'LICENSE.uplot.txt'],
  ['world-atlas/LICENSE', 'LICENSE.world-atlas.txt'],
];
for (const [from, to] of vendor) {
  cpSync(need(join(nm, from)), join(out, 'vendor', to));
}

const topo = JSON.parse(readFileSync(need(join(nm, 'world-atlas/countries-50m.json')), 'utf8'));
const land = feature(topo, topo.objects.land);
const borders = mesh(topo, topo.objects.countries, (a, b) => a !== b);
const collection = (geometry, kind) => ({
  type: 'FeatureCollection',
  source: 'Natural Earth 1:50m (public domain) via world-atlas 2.0.2; illustrative, not endorsed',
  features: [{ type: 'Feature', properties: { kind }, geometry: roundGeometry(geometry) }],
});
const landGeom =
  land.type === 'FeatureCollection'
    ? {
        type: 'MultiPolygon',
        coordinates: land.features.flatMap((f) =>
          f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates,
        ),
      }
    : land.geometry;
writeFileSync(join(out, 'land.geojson'), JSON.stringify(collection(landGeom, 'land')));
writeFileSync(join(out, 'borders.geojson'), JSON.stringify(collection(borders, 'borders')));
writeFileSync(
  join(out, 'build.json'),
  JSON.stringify({ built: 'truceline web', leaflet: '1.9.4', uplot: '1.6.32', atlas: '2.0.2' }) +
    '\n',
);
console.log(`web build: ${out}`);
