/** `streetwatch plate read` as a user runs it: the built CLI (npm run build) on the real fixtures. */
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLATES_DIR, VTEST } from '../test/fixtures.js';
import { runCli } from '../test/helpers/processes.js';

async function plateRead(...args: string[]): Promise<{ code: number | null; out: string }> {
  const cli = runCli(['plate', 'read', ...args]);
  const code = await cli.exited;
  return { code, out: cli.output() };
}

describe('streetwatch plate read', () => {
  it('reads every image of a folder, one JSON line each', async () => {
    const { code, out } = await plateRead('--json', PLATES_DIR);
    expect(code).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { file: string; plate: string | null; confidence: number; box: object; corners: object[]; raw: string });
    const byFile = Object.fromEntries(lines.map((l) => [basename(l.file), l]));
    expect(Object.keys(byFile).sort()).toEqual(['crop-1.jpg', 'crop-2.jpg', 'front-1.jpg', 'street-1.jpg']);
    expect(byFile['street-1.jpg']).toMatchObject({ plate: '苏ED51712', raw: '苏ED51712' });
    expect(byFile['crop-1.jpg']).toMatchObject({ plate: '津B6H920', raw: '津B·6H920' });
    expect(byFile['crop-2.jpg'].plate).toBe('皖KD01833');
    expect(byFile['front-1.jpg'].plate).toMatch(/^.DT5022$/u);
    expect(byFile['street-1.jpg'].corners).toHaveLength(4);
    expect(byFile['street-1.jpg'].confidence).toBeGreaterThan(0.9);
  });

  it('prints a video frame by frame, unread where there is no plate', async () => {
    const { code, out } = await plateRead('--fps', '0.1', VTEST);
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(8); // 79 s at one frame per 10 s
    expect(lines[0]).toBe(`${VTEST} 0.0s\tunread`);
    for (const l of lines) expect(l).toMatch(/^\S+ \d+\.0s\tunread/);
  });

  it('prints text lines with plate, confidence and box', async () => {
    const { code, out } = await plateRead(join(PLATES_DIR, 'street-1.jpg'), '--model', 'y5fu_320x_sim');
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^${join(PLATES_DIR, 'street-1.jpg')}\\t苏ED51712\\t(0\\.9\\d|1\\.00)\\t17\\d\\d,7\\d\\d,18\\d\\d,8\\d\\d\\n$`, 'u'));
  });

  it('names a missing file and exits 1', async () => {
    const { code, out } = await plateRead(join(PLATES_DIR, 'crop-1.jpg'), join(PLATES_DIR, 'nope.jpg'));
    expect(code).toBe(1);
    expect(out).toBe(`streetwatch: ${join(PLATES_DIR, 'nope.jpg')}: no such file or folder\n`);
  });

  it('names a file that is not an image and exits 1', async () => {
    const { code, out } = await plateRead(join(PLATES_DIR, 'labels.json'));
    expect(code).toBe(1);
    expect(out).toContain(`streetwatch: ${join(PLATES_DIR, 'labels.json')} is not a readable image`);
  });
});
