/**
 * Builds the console into console/dist (run by `npm run build` after tsc): one minified module
 * bundle and one stylesheet, named by content hash so browsers may cache them for good, an
 * index.html that loads them, and a brotli and a gzip copy of each file for the centre to serve
 * as they are. The officer app (console/src/officer/) is a second bundle in the same assets,
 * with its page, web app manifest, icons and service worker under console/dist/app/.
 */
import { build, type BuildOptions } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { projectRoot } from '../common/paths.js';

const src = join(projectRoot, 'console', 'src');
const out = join(projectRoot, 'console', 'dist');
const appDir = join(out, 'app');
const ICON_SIZES = [192, 512] as const;

function page(script: string, style: string, head = '<title>StreetWatch</title>\n<link rel="icon" href="data:,">'): string {
  // The empty data: icon stops the browser asking for /favicon.ico.
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${head}
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
    if (!/\.(html|js|css|webmanifest)$/.test(name)) continue;
    const raw = readFileSync(file);
    writeFileSync(`${file}.br`, brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }));
    writeFileSync(`${file}.gz`, gzipSync(raw, { level: 9 }));
  }
}

const COMMON: BuildOptions = {
  bundle: true,
  minify: true,
  target: 'es2020',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
};

/** One entry bundled into console/dist/assets: its content-hashed script and stylesheet. */
async function bundle(name: string, entry: string): Promise<{ script: string; style: string }> {
  const result = await build({ ...COMMON, entryPoints: { [name]: entry }, outdir: join(out, 'assets'), entryNames: '[name]-[hash]', format: 'esm', metafile: true });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const script = outputs.find((f) => f.endsWith('.js'));
  const style = outputs.find((f) => f.endsWith('.css'));
  if (!script || !style) throw new Error(`console build (${name}): expected a .js and a .css output, got ${outputs.join(', ')}`);
  return { script, style };
}

/** The officer app under /app/: page, manifest, icons (drawn from icon.svg), and a service worker that caches them. */
async function officerApp(): Promise<string> {
  const { script, style } = await bundle('officer', join(src, 'officer', 'main.tsx'));
  mkdirSync(appDir, { recursive: true });
  const svg = readFileSync(join(src, 'officer', 'icon.svg'));
  for (const px of ICON_SIZES) await sharp(svg).resize(px, px).png().toFile(join(appDir, `icon-${px}.png`));
  const manifest = {
    name: 'StreetWatch 街面巡查',
    short_name: 'StreetWatch',
    lang: 'zh-CN',
    start_url: '/app/',
    scope: '/app/',
    display: 'standalone',
    background_color: '#0e1116',
    theme_color: '#0e1116',
    icons: ICON_SIZES.map((px) => ({ src: `/app/icon-${px}.png`, sizes: `${px}x${px}`, type: 'image/png', purpose: 'any' })),
  };
  writeFileSync(join(appDir, 'manifest.webmanifest'), JSON.stringify(manifest));
  const head = '<title>StreetWatch</title>\n<meta name="theme-color" content="#0e1116">\n<link rel="manifest" href="/app/manifest.webmanifest">\n<link rel="icon" href="/app/icon-192.png">\n<link rel="apple-touch-icon" href="/app/icon-192.png">';
  writeFileSync(join(appDir, 'index.html'), page(script, style, head));
  const shell = ['/app/', `/assets/${script}`, `/assets/${style}`, '/app/manifest.webmanifest', ...ICON_SIZES.map((px) => `/app/icon-${px}.png`)];
  // A new build (new asset names) is a new cache: the worker drops the old one on activation.
  const version = createHash('sha256').update(shell.join('\n')).digest('hex').slice(0, 12);
  await build({ ...COMMON, entryPoints: [join(src, 'officer', 'sw.ts')], outfile: join(appDir, 'sw.js'), format: 'iife', define: { SHELL: JSON.stringify(shell), VERSION: JSON.stringify(version) } });
  return script;
}

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'assets'), { recursive: true });
  const { script, style } = await bundle('main', join(src, 'main.tsx'));
  writeFileSync(join(out, 'index.html'), page(script, style));
  const officer = await officerApp();
  precompress(out);
  const size = (f: string) => statSync(join(out, 'assets', f)).size;
  process.stdout.write(`console: ${script} ${size(script)} B (${size(`${script}.br`)} B br), ${style} ${size(style)} B; officer app: ${officer} ${size(officer)} B (${size(`${officer}.br`)} B br) → console/dist\n`);
}

await main();
