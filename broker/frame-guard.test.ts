import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FrameMeter, FrameTooLargeError, guardFrames, MQTT_PUBLISH } from './frame-guard.js';

/** MQTT remaining-length encoding: 7 bits a byte, least significant first. */
function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** A QoS 0 PUBLISH to `a/b`, built by hand. */
function publish(bytes: number): Buffer {
  const body = Buffer.concat([Buffer.from([0, 3]), Buffer.from('a/b'), Buffer.alloc(bytes, 1)]);
  return Buffer.concat([Buffer.from([0x30]), varint(body.length), body]);
}
const ping = Buffer.from([0xc0, 0x00]);

describe('FrameMeter', () => {
  it('follows packets split at every byte boundary', () => {
    const stream = Buffer.concat([publish(10), ping, publish(200), publish(20_000), ping]);
    const meter = new FrameMeter(20_010);
    for (let i = 0; i < stream.length; i++) expect(meter.feed(stream.subarray(i, i + 1))).toBeNull();
    // and back in step afterwards: the next oversized packet is caught
    const err = meter.feed(publish(30_000));
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect(err?.packetType).toBe(MQTT_PUBLISH);
  });

  it('catches an oversized packet from its length bytes alone, before any body arrives', () => {
    const big = publish(5_000_000);
    const meter = new FrameMeter(1_000_000);
    expect(meter.feed(big.subarray(0, 1))).toBeNull();
    const err = meter.feed(big.subarray(1, 5));
    expect(err?.length).toBeGreaterThan(5_000_000);
    expect(err?.code).toBe('MQTT_FRAME_TOO_LARGE');
  });

  it('accepts a packet of exactly the limit', () => {
    const p = publish(100);
    const meter = new FrameMeter(p.length - 2); // fixed header is 2 bytes here
    expect(meter.feed(Buffer.concat([p, p]))).toBeNull();
  });
});

describe('guardFrames', () => {
  it('passes bytes both ways', async () => {
    const inner = new PassThrough();
    const outer = guardFrames(inner, 1000, () => undefined);
    const got: Buffer[] = [];
    outer.on('data', (c: Buffer) => got.push(c));
    inner.write(publish(10));
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(got).equals(publish(10))).toBe(true);
  });

  it('destroys the connection on an oversized packet and reports it', async () => {
    const inner = new PassThrough();
    let reported: FrameTooLargeError | undefined;
    const outer = guardFrames(inner, 1000, (e) => (reported = e));
    const got: Buffer[] = [];
    outer.on('data', (c: Buffer) => got.push(c));
    const failed = new Promise<Error>((r) => outer.on('error', r));
    inner.write(Buffer.concat([ping, publish(5000)]));
    expect(await failed).toBeInstanceOf(FrameTooLargeError);
    expect(reported?.packetType).toBe(MQTT_PUBLISH);
    expect(got.length).toBe(0); // the chunk holding the oversized packet never reached the reader
    expect(inner.destroyed).toBe(true);
  });
});
