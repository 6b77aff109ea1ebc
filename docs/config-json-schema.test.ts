/**
 * The published JSON Schemas (schemas/, kept equal to the zod schemas by docs.test.ts) checked with
 * a real JSON Schema validator: the examples pass, and the mistakes the loader refuses are caught.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { projectRoot } from '../common/paths.js';

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const schemaFile = (name: string) => join(projectRoot, 'schemas', `${name}.schema.json`);
const validator = (name: string) => ajv.compile(JSON.parse(readFileSync(schemaFile(name), 'utf8')) as object);
const validate = { edge: validator('edge'), center: validator('center') };
const read = (file: string) => YAML.parse(readFileSync(join(projectRoot, file), 'utf8')) as Record<string, any>;

describe('the config JSON Schemas', () => {
  it.each([
    ['examples/edge-vtest.yaml', 'edge'],
    ['examples/center.yaml', 'center'],
  ] as const)('%s names its schema for editors, and is valid against it', (file, name) => {
    const first = readFileSync(join(projectRoot, file), 'utf8').split('\n')[0];
    const ref = /^# yaml-language-server: \$schema=(\S+)$/.exec(first)?.[1];
    expect(ref && resolve(dirname(join(projectRoot, file)), ref)).toBe(schemaFile(name));
    expect(validate[name](read(file)), JSON.stringify(validate[name].errors)).toBe(true);
  });

  it('the box template deploy/edge.yaml, all ${…} references, is valid too', () => {
    expect(validate.edge(read('deploy/edge.yaml')), JSON.stringify(validate.edge.errors)).toBe(true);
  });

  it('refuses an unknown key, naming it, in nested objects and in either kind of zone', () => {
    const doc = read('examples/edge-vtest.yaml');
    doc.cameras[0].zones[0].dwelSeconds = 60;
    expect(validate.edge(doc)).toBe(false);
    expect(validate.edge.errors).toContainEqual(expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: 'dwelSeconds' } }));

    const center = read('examples/center.yaml');
    center.sla.targetMinute = 30;
    expect(validate.center(center)).toBe(false);
    expect(validate.center.errors).toContainEqual(expect.objectContaining({ instancePath: '/sla', params: { additionalProperty: 'targetMinute' } }));
  });

  it('takes an env reference where a number is expected, but not other text; checks bounds and formats', () => {
    const doc = read('examples/edge-vtest.yaml');
    doc.cameras[0].fps = '${CAM_FPS:-10}';
    doc.cameras[0].enabled = '${CAM_ON}';
    expect(validate.edge(doc), JSON.stringify(validate.edge.errors)).toBe(true);
    doc.cameras[0].fps = 'fast';
    expect(validate.edge(doc)).toBe(false);
    doc.cameras[0].fps = 120;
    expect(validate.edge(doc)).toBe(false);
    doc.cameras[0].fps = 10;
    doc.center = { url: 'not a url' };
    expect(validate.edge(doc)).toBe(false);
    expect(validate.edge.errors).toContainEqual(expect.objectContaining({ instancePath: '/center/url', keyword: 'format' }));
  });

  it('requires what the loader requires', () => {
    const doc = read('examples/edge-vtest.yaml');
    delete doc.cameras[0].source;
    expect(validate.edge(doc)).toBe(false);
    expect(validate.edge.errors).toContainEqual(expect.objectContaining({ instancePath: '/cameras/0', params: { missingProperty: 'source' } }));
  });

  it('carries the defaults and descriptions editors show', () => {
    const fps = JSON.parse(readFileSync(schemaFile('edge'), 'utf8')).properties.cameras.items.properties.fps;
    expect(fps).toMatchObject({ default: 2, description: expect.stringContaining('Frames per second') });
  });
});
