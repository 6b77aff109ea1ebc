/** Centre config loading: the shipped example loads, and a typo in a key is refused with its line. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/config-file.js';
import { projectRoot } from '../common/paths.js';
import { tempDir } from '../test/fixtures.js';
import { loadCenterConfig } from './config.js';

const EXAMPLE = join(projectRoot, 'examples', 'center.yaml');

describe('loadCenterConfig', () => {
  it('loads the example', () => {
    expect(loadCenterConfig(EXAMPLE, {}).teams.length).toBeGreaterThan(0);
  });

  it('refuses an unknown key in a nested flow mapping, naming the closest known key and the line', () => {
    const text = readFileSync(EXAMPLE, 'utf8').replace('{ id: li, name:', '{ id: li, nmae:');
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('nmae:'));
    expect(line).toBeGreaterThan(0);
    const file = join(tempDir('sw-center-config-'), 'center.yaml');
    writeFileSync(file, text);
    try {
      loadCenterConfig(file, {});
      throw new Error('loaded although a key is misspelt');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toMatch(new RegExp(`teams\\[\\d+\\]\\.officers\\[\\d+\\]\\.nmae: unknown key \\(did you mean name\\?\\) \\(line ${line + 1}, column ${lines[line].indexOf('nmae') + 1}\\)`));
    }
  });
});
