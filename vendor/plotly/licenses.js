// Writes the licence notices of every npm package whose code is in the bundle
// (read from esbuild's metafile): name, version, licence and the package's own
// LICENSE file. Called by build.sh: node licenses.js META.json NODE_MODULES OUT.
'use strict';
const fs = require('fs');
const path = require('path');
const [meta, modules, out] = process.argv.slice(2);
// the inputs with code in the output (maplibre's stylesheet is read but emptied: a stub)
const output = Object.values(JSON.parse(fs.readFileSync(meta, 'utf8')).outputs)[0];
const inputs = Object.entries(output.inputs).filter(([, v]) => v.bytesInOutput > 0)
    .filter(([k]) => !k.endsWith('.css')).map(([k]) => k);
const names = new Set();
for (const input of inputs) {
    if (!input.includes('node_modules/')) continue;  // entry.js
    const parts = input.split('node_modules/').pop().split('/');
    names.add(parts[0].startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
}
const blocks = [...names].sort().map((name) => {
    const dir = path.join(modules, name);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
    const text = file ? fs.readFileSync(path.join(dir, file), 'utf8').trim()
        : `(no licence file in the package; package.json says ${pkg.license})`;
    return `${name} ${pkg.version} (${pkg.license})\n\n${text}\n`;
});
fs.writeFileSync(out, 'Licences of the packages bundled in plotly-explorer.min.js\n\n' +
    blocks.join('\n' + '-'.repeat(72) + '\n\n'));
console.log(`${names.size} packages`);
