// bench.js - the same timeline page rendered by mustache.js (npm package
// `mustache`), for bench/mustache/run.sh.  Escaping is set to the same five
// characters our engine escapes (& < > " '), so both pages are identical.
// usage: node bench.js DIR [SECONDS] [OUT.html]
'use strict';
const fs = require('fs');
const path = require('path');
const Mustache = require(path.join(__dirname, 'node_modules', 'mustache'));

const dir = process.argv[2] || __dirname;
const seconds = Number(process.argv[3] || 3);
const outPath = process.argv[4];

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
Mustache.escape = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);

const tdir = path.join(dir, 'templates');
const partials = {};
for (const f of fs.readdirSync(tdir)) {
  if (f.endsWith('.mustache')) partials[f.slice(0, -9)] = fs.readFileSync(path.join(tdir, f), 'utf8');
}
const page = partials.page;
const data = JSON.parse(fs.readFileSync(path.join(dir, 'data.json'), 'utf8'));

Mustache.parse(page); // compile once; partials are parsed and cached on first use
let html = Mustache.render(page, data, partials);
if (outPath) fs.writeFileSync(outPath, html);
console.log(`js_bytes ${Buffer.byteLength(html)}`);

for (let i = 0; i < 1000; i++) html = Mustache.render(page, data, partials);
// CPU time of this process (user + system, all of node's threads), as the
// C side measures its own; wall-clock rate printed too.
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
let n = 0;
const c0 = cpu();
const t0 = process.hrtime.bigint();
let el = 0;
do {
  for (let i = 0; i < 200; i++) html = Mustache.render(page, data, partials);
  n += 200;
  el = cpu() - c0;
} while (el < seconds);
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`js_renders ${n}`);
console.log(`js_cpu_seconds ${el.toFixed(3)}`);
console.log(`js_per_sec ${(n / el).toFixed(0)}`);
console.log(`js_wall_per_sec ${(n / wall).toFixed(0)}`);
console.log(`js_version ${Mustache.version}`);
