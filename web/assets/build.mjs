// npm run build: bundle web/assets into web/static/dist (served by Flask as /static/dist/...).
// No source maps, no eval: the pages run under a strict Content-Security-Policy.
import { copyFile, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(web, 'static', 'dist');

// style="..." attributes in markup parsed from strings (innerHTML) break `style-src 'self'`: the
// browser drops them and logs a CSP violation. Rewrite the few that ship in the libraries.
const svgStyleToAttributes = (source) =>
  source.replace(/ style="([^"]*)"/g, (_, css) =>
    css
      .split(';')
      .map((rule) => rule.trim())
      .filter(Boolean)
      .map((rule) => {
        const [name, value] = rule.split(':').map((part) => part.trim());
        return ` ${name}="${value}"`;
      })
      .join(''),
  );
const PATCHES = [
  {
    // container markup of the properties panel; the same rules are in assets/modeler.css
    file: /bpmn-js-properties-panel\/dist\/index\.esm\.js$/,
    patch: (source) => source.replace('<div style="height: 100%" ', '<div ').replace('<div style="flex: none; height: auto" ', '<div '),
    check: (source) => !/domify\('<div style=/.test(source),
  },
  {
    // icons of the align / distribute menus (several elements selected): SVG presentation attributes
    file: /bpmn-js\/lib\/features\/(align|distribute)-elements\/\w+Icons\.js$/,
    patch: svgStyleToAttributes,
    check: (source) => !source.includes('style='),
  },
];
const patchVendor = {
  name: 'csp-patches',
  setup(build) {
    for (const { file, patch, check } of PATCHES) {
      build.onLoad({ filter: file }, async (args) => {
        const contents = patch(await readFile(args.path, 'utf8'));
        if (!check(contents)) {
          throw new Error(`CSP patch no longer applies to ${args.path}: review it after the upgrade`);
        }
        return { contents, loader: 'js' };
      });
    }
  },
};

await rm(outdir, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: web,
  entryPoints: [
    { in: 'assets/modeler.js', out: 'modeler' },
    { in: 'assets/viewer.js', out: 'viewer' },
    { in: 'assets/modeler.css', out: 'modeler' },
    { in: 'assets/viewer.css', out: 'viewer' },
    { in: 'assets/dashboard.js', out: 'dashboard' },
  ],
  outdir,
  bundle: true,
  minify: process.env.DONDOC_ASSETS_DEBUG !== '1',
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  sourcemap: false,
  define: { 'process.env.NODE_ENV': '"production"' },
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
  assetNames: 'fonts/[name]-[hash]',
  plugins: [patchVendor],
  logLevel: 'warning',
});
// pdf.js (the file previews) needs a newer language level and runs its parser in a worker,
// served from the same origin (CSP `worker-src` falls back to `script-src 'self'`).
await esbuild.build({
  absWorkingDir: web,
  entryPoints: [{ in: 'assets/preview.js', out: 'preview' }],
  outdir,
  bundle: true,
  minify: process.env.DONDOC_ASSETS_DEBUG !== '1',
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  sourcemap: false,
  logLevel: 'warning',
});
await copyFile(join(web, 'node_modules', 'pdfjs-dist', 'build', 'pdf.worker.min.mjs'), join(outdir, 'pdf.worker.js'));
