/**
 * The webhook signature checked as receivers are told to check it: the user guide's receiver
 * snippet runs as is (only its port changed) in its own process and must accept what the centre
 * signs, and refuse a wrong secret or a changed body.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../cli/ports.js';
import { projectRoot } from '../common/paths.js';
import { postWebhook, signBody, WebhookError } from './webhook.js';
import { waitFor } from '../test/helpers/wait.js';

const SECRET = 'guide-secret-0001';

/** The js block after "Verify the signature" in docs/user-guide.md, listening on `port`. */
function guideReceiver(port: number): string {
  const guide = readFileSync(join(projectRoot, 'docs', 'user-guide.md'), 'utf8');
  const block = /Verify the signature[^\n]*\n+```js\n([\s\S]*?)```/.exec(guide)?.[1];
  if (!block) throw new Error('docs/user-guide.md: no receiver snippet after "Verify the signature"');
  const listen = ".listen(9099, '127.0.0.1')";
  if (!block.includes(listen)) throw new Error(`the guide's snippet no longer has ${listen}`);
  return block.replace(listen, `.listen(${port}, '127.0.0.1')`);
}

describe("the user guide's webhook receiver", () => {
  let child: ChildProcess;
  let out = '';
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}/hook`;
    child = spawn(process.execPath, ['--input-type=module', '-e', guideReceiver(port)], { env: { ...process.env, TEAM_WEBHOOK_SECRET: SECRET } });
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor(() => fetch(url, { method: 'POST', body: '{}' }).then((r) => r.status === 401, () => false), 'the receiver to listen', 10_000);
  });
  afterAll(() => void child?.kill());

  const body = { kind: 'order', order: { id: '01JGUIDE0000000000000000AA', state: 'dispatched', assignee: 'officer-7', plate: { text: '苏ED51712' } } };
  const send = (secret: string) => postWebhook({ url, secret, body, idempotencyKey: '01JGUIDE:order:1', event: 'order', timeoutMs: 5000 });

  it('accepts a body the centre signed and reads it', async () => {
    expect(await send(SECRET)).toEqual({ status: 204 });
    await waitFor(() => out.includes('01JGUIDE0000000000000000AA'), 'the receiver to log the order', 5000);
    expect(out).toContain('01JGUIDE:order:1 order 01JGUIDE0000000000000000AA dispatched officer-7');
  });

  it('refuses a wrong secret and a body changed after signing', async () => {
    await expect(send('another-secret-01')).rejects.toMatchObject({ status: 401 } satisfies Partial<WebhookError>);
    const raw = JSON.stringify(body);
    const res = await fetch(url, { method: 'POST', body: raw.replace('D51712', 'D51713'), headers: { 'X-StreetWatch-Signature': signBody(SECRET, raw) } });
    expect(res.status).toBe(401);
  });
});
