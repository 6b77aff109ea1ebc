import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { projectRoot } from '../common/paths.js';
import { cliReference } from './generate/cli-reference.js';
import { configReference } from './generate/config-reference.js';
import { fillTemplate, generatedDocs } from './generate/docs.js';

describe('the generated reference pages', () => {
  for (const doc of generatedDocs()) {
    it(`${doc.path} is what the generator makes of the code now`, () => {
      const file = join(projectRoot, doc.path);
      const committed = existsSync(file) ? readFileSync(file, 'utf8') : '';
      expect(committed, `${doc.path} is stale: run \`npm run docs\``).toBe(doc.content);
    });
  }
});

describe('configReference', () => {
  const schema = z.object({
    name: z.string().min(1).describe('Who.'),
    limits: z
      .object({ rate: z.number().positive().max(60).default(2).describe('Per second.'), burst: z.number().int().min(1).max(8).optional() })
      .prefault({}),
    items: z
      .array(
        z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('a').describe('Which one.'), shared: z.boolean().default(true), onlyA: z.string().optional().describe('A thing.') }),
          z.object({ kind: z.literal('b'), shared: z.boolean().default(true) }),
        ]),
      )
      .max(4)
      .default([]),
  });
  const md = configReference(schema);

  it('has a row per field with its path, type, default, bounds and description', () => {
    expect(md).toContain('| `name` | string | required | non-empty | Who. |');
    expect(md).toContain('| `limits.rate` | number | `2` | > 0, ≤ 60 | Per second. |');
    expect(md).toContain('| `limits.burst` | integer | — | 1–8 |  |');
  });

  it('gives a list of objects its own section, and marks the fields only one kind of a union has', () => {
    expect(md).toContain('| `items` | list of objects | `[]` | ≤ 4 items |  |');
    expect(md).toContain('### `items[]`');
    expect(md).toContain('| `items[].kind` | `a` \\| `b` | required |  | Which one. |');
    expect(md).toContain('| `items[].shared` | boolean | `true` |  |  |');
    expect(md).toContain('| `items[].onlyA` | string | — |  | Only with `kind: a`. A thing. |');
  });
});

describe('cliReference', () => {
  const program = new Command().name('tool').description('A tool.');
  program
    .command('run')
    .description('Run it.')
    .argument('<target>', 'what to run')
    .requiredOption('-c, --config <file>', 'the config')
    .option('--data <dir>', 'where data goes', join('/pkg', 'data', 'x'))
    .option('--mode <a|b>', 'which mode', 'a');
  const md = cliReference(program, { packageRoot: '/pkg' });

  it('lists each command with its usage, arguments and options', () => {
    expect(md).toContain('### `tool run`\n\nRun it.');
    expect(md).toContain('tool run [options] <target>');
    expect(md).toContain('| `<target>` | required | what to run |');
    expect(md).toContain('| `-c, --config <file>` | required | the config |');
    expect(md).toContain('| `--mode <a\\|b>` | `a` | which mode |');
  });

  it('shows defaults inside the package relative to it, the same on every machine', () => {
    expect(md).toContain('| `--data <dir>` | `<package>/data/x` | where data goes |');
  });
});

describe('fillTemplate', () => {
  it('replaces marker lines and refuses a marker or a part left over', () => {
    expect(fillTemplate('a\n{{x}}\nb', { x: () => 'X\n' }, 't')).toBe('a\nX\nb');
    expect(() => fillTemplate('{{y}}', { x: () => '' }, 't')).toThrow('no generator for {{y}}');
    expect(() => fillTemplate('no markers', { x: () => '' }, 't')).toThrow('no {{x}} marker');
  });
});

// --- relative links ---------------------------------------------------------------------------

/** The lines of a Markdown file outside fenced code blocks (``` or ~~~). */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of proseLines(text)) {
    const heading = /^#{1,6}\s+(.+?)\s*#*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Every relative link of a Markdown file (`[text](target)`, images too) that names no file or heading. */
function brokenLinks(file: string, read: (path: string) => string | undefined): string[] {
  const text = read(file) ?? '';
  const prose = proseLines(text).join('\n').replace(/`[^`\n]*`/g, '');
  const broken: string[] = [];
  for (const [, target] of prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, mailto: …
    const [path, anchor] = target.split('#', 2);
    const targetFile = path ? resolve(dirname(file), path) : file;
    const targetText = read(targetFile);
    if (targetText === undefined) broken.push(`${target}: no such file`);
    else if (anchor && targetFile.endsWith('.md') && !anchorsOf(targetText).has(anchor)) broken.push(`${target}: no such heading`);
  }
  return broken;
}

const readIfExists = (path: string): string | undefined => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);

describe('relative links', () => {
  const pages = ['README.md', 'ARCHITECTURE.md', 'bench/README.md', ...readdirSync(join(projectRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  for (const page of pages) {
    it(`${page} links only to files and headings that exist`, () => {
      expect(brokenLinks(join(projectRoot, page), readIfExists)).toEqual([]);
    });
  }

  it('catches a missing file and a missing heading', () => {
    const files: Record<string, string> = {
      '/d/a.md': '# Title\n\n## Two words\n\n[ok](b.md#the-end) [ok](#two-words) [gone](c.md) [bad](b.md#nowhere) `[code](x.md)`',
      '/d/b.md': '## The end',
    };
    expect(brokenLinks('/d/a.md', (p) => files[p])).toEqual(['c.md: no such file', 'b.md#nowhere: no such heading']);
  });

  it('numbers repeated headings as GitHub does', () => {
    expect([...anchorsOf('## `mqtt`\n\n```\n## not a heading\n```\n\n## `mqtt`\n\n### cameras[].zones[]')]).toEqual(['mqtt', 'mqtt-1', 'cameraszones']);
  });
});
