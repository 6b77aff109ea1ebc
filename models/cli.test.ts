import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDir } from '../common/paths.js';
import { tempDir, YOLOX_NANO } from '../test/fixtures.js';
import { registerModelsCommands } from './cli.js';

let server: Server;
let base: string;
beforeAll(async () => {
  const model = readFileSync(YOLOX_NANO);
  server = createServer((req, res) => {
    const body = req.url === '/yolox_nano.onnx' ? model : Buffer.from('<html>moved</html>');
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

/** Runs `streetwatch <args>` in-process; returns stdout, stderr and the exit code. */
async function run(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const program = new Command('streetwatch')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerModelsCommands(program);
  try {
    await program.parseAsync(args, { from: 'user' });
    return { out, err, code: 0 };
  } catch (e) {
    if (e instanceof CommanderError) return { out, err, code: e.exitCode };
    throw e;
  }
}

describe('streetwatch models', () => {
  it('list shows every model and where it is installed', async () => {
    const { out, code } = await run('models', 'list', '--cache-dir', tempDir());
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines).toContain(`yolox_nano\tyolox\t416x416\tshared ${join(sharedDir, 'models', 'yolox_nano.onnx')}`);
    expect(lines).toContain(`y5fu_640x_sim\ty5fu-plate\t640x640\tshared ${join(sharedDir, 'models', 'hyperlpr3', 'y5fu_640x_sim.onnx')}`);
  });

  it('fetch downloads into --cache-dir from --url and prints the path', async () => {
    const cache = tempDir();
    const { out, code } = await run('models', 'fetch', 'yolox_nano', '--force', '--cache-dir', cache, '--url', `${base}/yolox_nano.onnx`);
    expect(code).toBe(0);
    expect(out).toBe(`yolox_nano\t${join(cache, 'models', 'yolox_nano.onnx')}\n`);
  });

  it('fetch prints the sha256 error and exits 1 on a wrong file', async () => {
    const { err, code } = await run('models', 'fetch', 'yolox_nano', '--force', '--cache-dir', tempDir(), '--url', `${base}/moved`);
    expect(code).toBe(1);
    expect(err).toMatch(/^error: model file downloaded from .* is not a known yolox_nano file: sha256 [0-9a-f]{64} \(18 bytes\), expected /);
  });

  it('fetch refuses --url for several models', async () => {
    const { err, code } = await run('models', 'fetch', '--url', `${base}/yolox_nano.onnx`, '--cache-dir', tempDir());
    expect(code).toBe(1);
    expect(err).toContain('--url applies to exactly one model');
  });

  it('fetch of an unknown model exits 1 with the message', async () => {
    const { err, code } = await run('models', 'fetch', 'nope', '--cache-dir', tempDir());
    expect(code).toBe(1);
    expect(err).toContain('unknown model "nope"');
  });
});
