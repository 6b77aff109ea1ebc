/**
 * Builds the console into console/dist (run by `npm run build` after tsc): one minified module
 * bundle and one stylesheet, named by content hash so browsers may cache them for good, an
 * index.html that loads them, and a brotli and a gzip copy of each file for the centre to serve
 * as they are.
 */
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { projectRoot } from '../common/paths.js';

const src = join(projectRoot, 'console', 'src');
const out = join(projectRoot, 'console', 'dist');

function page(script: string, style: string): string {
  // The empty data: icon stops the browser asking for /favicon.ico.
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>StreetWatch</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/${style}">
<script type="module" src="/assets/${script}"></script>
</head>
<body>
<div id="app"></div>
</body>
</html>
`;
}

function precompress(dir: string): void {
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) {
      precompress(file);
      continue;
    }
    if (!/\.(html|js|css)$/.test(name)) continue;
    const raw = readFileSync(file);
    writeFileSync(`${file}.br`, brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }));
    writeFileSync(`${file}.gz`, gzipSync(raw, { level: 9 }));
  }
}

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: [join(src, 'main.tsx')],
    outdir: join(out, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const script = outputs.find((f) => f.endsWith('.js'));
  const style = outputs.find((f) => f.endsWith('.css'));
  if (!script || !style) throw new Error(`console build: expected a .js and a .css output, got ${outputs.join(', ')}`);
  writeFileSync(join(out, 'index.html'), page(script, style));
  precompress(out);
  const size = (f: string) => statSync(join(out, 'assets', f)).size;
  process.stdout.write(`console: ${script} ${size(script)} B (${size(`${script}.br`)} B br), ${style} ${size(style)} B → console/dist\n`);
}

await main();
