import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLabels } from './labels.js';

function labels(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sw-labels-')), 'labels.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadLabels', () => {
  it('reads clips, paths relative to the labels file, recipes as they are', () => {
    const file = labels(`
clips:
  - id: real
    video: clips/a.mp4
    config: ../edge.yaml
    violations: [{ type: illegal_parking, zone: kerb, start: 30, box: [0.8, 0.1, 0.9, 0.2] }]
  - id: dark
    video: { generate: brightness-ramp }
`);
    const dir = join(file, '..');
    expect(loadLabels(file)).toEqual([
      { id: 'real', video: join(dir, 'clips/a.mp4'), config: join(dir, '../edge.yaml'), violations: [{ type: 'illegal_parking', zone: 'kerb', start: 30, box: [0.8, 0.1, 0.9, 0.2] }] },
      { id: 'dark', video: { generate: 'brightness-ramp' }, config: undefined, violations: [] },
    ]);
  });

  it('names the field of each mistake', () => {
    const file = labels(`
clips:
  - id: a
    video: a.mp4
    violations:
      - { type: parking, zone: kerb, start: 30 }
      - { type: illegal_parking, zone: kerb, start: 30, end: 20 }
      - { type: illegal_parking, zone: kerb, start: 30, box: [0.9, 0.1, 0.8, 0.2] }
`);
    expect(() => loadLabels(file)).toThrow(/clips\[0\]\.violations\[0\]\.type[\s\S]*clips\[0\]\.violations\[1\]\.end[\s\S]*clips\[0\]\.violations\[2\]\.box/);
  });

  it('wants unique clip ids', () => {
    expect(() => loadLabels(labels('clips: [{ id: a, video: a.mp4 }, { id: a, video: b.mp4 }]'))).toThrow(/clips: clip ids must be unique/);
  });
});
