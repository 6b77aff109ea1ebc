/** The config-file loader: env substitution in values, unknown keys, and the line of every problem. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tempDir } from '../test/fixtures.js';
import { ConfigError, loadConfigFile } from './config-file.js';

const schema = z.strictObject({
  name: z.string(),
  password: z.string().optional(),
  fps: z.number().default(2),
  enabled: z.boolean().default(true),
  model: z.union([z.strictObject({ name: z.string() }), z.strictObject({ path: z.string() })]).optional(),
  cameras: z
    .array(
      z.strictObject({
        id: z.string(),
        zones: z
          .array(
            z.discriminatedUnion('kind', [
              z.strictObject({ kind: z.literal('no_parking'), dwellSeconds: z.number().default(300) }),
              z.strictObject({ kind: z.literal('no_vending'), goodsClasses: z.array(z.string()).default([]) }),
            ]),
          )
          .default([]),
      }),
    )
    .default([]),
});

const dir = tempDir('sw-config-file-');
let n = 0;
function write(text: string): string {
  const file = join(dir, `c${n++}.yaml`);
  writeFileSync(file, text);
  return file;
}

function errorOf(text: string, env: NodeJS.ProcessEnv = {}): string {
  const file = write(text);
  try {
    loadConfigFile(schema, file, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toContain(file);
    return (e as Error).message;
  }
  throw new Error('loaded although it should not');
}

describe('loadConfigFile: unknown keys', () => {
  it('names the full path, the closest known key and the line and column', () => {
    const msg = errorOf(
      ['name: a', 'cameras:', '  - id: c1', '    zones:', '      - kind: no_parking', '      - kind: no_parking', '        dwelSeconds: 60', ''].join('\n'),
    );
    expect(msg).toContain('cameras[0].zones[1].dwelSeconds: unknown key (did you mean dwellSeconds?) (line 7, column 9)');
  });

  it('compares with the keys of the union member the document chose', () => {
    const msg = errorOf('name: a\ncameras: [{id: c1, zones: [{kind: no_vending, goodClasses: [chair]}]}]\n');
    expect(msg).toContain('cameras[0].zones[0].goodClasses: unknown key (did you mean goodsClasses?) (line 2, column 47)');
  });

  it('lists the known keys when none is close', () => {
    expect(errorOf('name: a\ncolour: red\n')).toContain('colour: unknown key (expected one of name, password, fps, enabled, model, cameras) (line 2, column 1)');
  });

  it('a plain union reports the member that came nearest, with the typo named', () => {
    const msg = errorOf('name: a\nmodel:\n  nmae: yolox\n');
    expect(msg).toContain('model.nmae: unknown key (did you mean name?) (line 3, column 3)');
    expect(msg).toContain('model.name: Invalid input: expected string, received undefined (line 2, column 1)');
  });

  it('reports every unknown key and every other problem at once', () => {
    const lines = errorOf('name: 1\nfsp: 3\nenabeld: true\n').split('\n').slice(1);
    expect(lines).toEqual([
      '  name: Invalid input: expected string, received number (line 1, column 1)',
      '  fsp: unknown key (did you mean fps?) (line 2, column 1)',
      '  enabeld: unknown key (did you mean enabled?) (line 3, column 1)',
    ]);
  });
});

describe('loadConfigFile: ${VAR} substitution', () => {
  it('an unquoted reference that reads as a number or a boolean becomes one', () => {
    const file = write('name: a\nfps: ${CAM_FPS:-10}\nenabled: ${ON:-false}\n');
    expect(loadConfigFile(schema, file, {})).toMatchObject({ fps: 10, enabled: false });
    expect(loadConfigFile(schema, file, { CAM_FPS: '2.5', ON: 'true' })).toMatchObject({ fps: 2.5, enabled: true });
  });

  it('an unquoted reference in a field that takes text stays text, whatever it reads as', () => {
    const file = write('name: ${NAME}\npassword: ${PW}\n');
    expect(loadConfigFile(schema, file, { NAME: '0x10', PW: '123456' })).toMatchObject({ name: '0x10', password: '123456' });
  });

  it('a quoted reference stays a string, whatever it reads as', () => {
    const file = write('name: "${NAME}"\npassword: \'${PW}\'\n');
    expect(loadConfigFile(schema, file, { NAME: '42', PW: 'true' })).toMatchObject({ name: '42', password: 'true' });
    expect(errorOf('name: a\nfps: "${F}"\n', { F: '10' })).toContain('fps: Invalid input: expected number, received string (line 2, column 1)');
  });

  it('a value with YAML syntax in it (`: `, `#`, quotes, newline) is taken as it is', () => {
    const file = write('name: ${NAME}\npassword: ${PW} # the broker password\n');
    const pw = 'a: b # c "d\' - [e]\nf: g';
    expect(loadConfigFile(schema, file, { NAME: 'x', PW: pw })).toMatchObject({ name: 'x', password: pw });
  });

  it('substitutes inside text and takes defaults with braces', () => {
    const file = write('name: rtsp://${USER:-admin}:${PASS}@cam/${PATH_:-{s}}\n');
    expect(loadConfigFile(schema, file, { PASS: 'pw' }).name).toBe('rtsp://admin:pw@cam/{s}');
  });

  it('an empty variable counts as unset', () => {
    expect(loadConfigFile(schema, write('name: a\nfps: ${F:-7}\n'), { F: '' }).fps).toBe(7);
  });

  it('reports every missing variable at once, with its line; comments are not substituted', () => {
    const msg = errorOf('# set ${NOT_IN_A_COMMENT}\nname: ${NAME}\npassword: x${PW}y\ncameras:\n  - id: ${CAM}\n');
    expect(msg.split('\n').slice(1)).toEqual([
      '  name: environment variable NAME is not set and has no default (line 2, column 7)',
      '  password: environment variable PW is not set and has no default (line 3, column 11)',
      '  cameras[0].id: environment variable CAM is not set and has no default (line 5, column 9)',
    ]);
  });

  it('a substituted value is validated like a written one, at the line of its reference', () => {
    expect(errorOf('name: a\nfps: ${FPS}\n', { FPS: 'fast' })).toContain('fps: Invalid input: expected number, received string (line 2, column 1)');
  });
});
