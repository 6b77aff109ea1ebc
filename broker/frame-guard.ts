/**
 * Cuts a connection as soon as an MQTT packet announces more bytes than we accept.
 *
 * The MQTT parser buffers a whole packet (up to 256 MiB by the protocol) before anyone can look at
 * it, and before CONNECT there is not even a client to blame; reading the fixed header as bytes
 * flow by bounds the memory one connection can take. Bytes are passed through untouched.
 */
import { Duplex } from 'node:stream';
import { StreetWatchError } from '../common/errors.js';

export class FrameTooLargeError extends StreetWatchError {
  constructor(
    readonly packetType: number,
    readonly length: number,
    readonly limit: number,
  ) {
    super('MQTT_FRAME_TOO_LARGE', `MQTT packet of type ${packetType} announces ${length} bytes, over the ${limit}-byte limit`);
  }
}

export const MQTT_PUBLISH = 3;

/** Tracks packet boundaries in an MQTT byte stream; `feed` returns the first oversized packet, if any. */
export class FrameMeter {
  private state: 'type' | 'length' | 'body' = 'type';
  private type = 0;
  private length = 0;
  private multiplier = 1;
  private remaining = 0;

  constructor(private readonly maxRemainingLength: number) {}

  feed(chunk: Buffer): FrameTooLargeError | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const n = Math.min(this.remaining, chunk.length - i);
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) this.state = 'type';
        continue;
      }
      const byte = chunk[i++];
      if (this.state === 'type') {
        this.type = byte >> 4;
        this.length = 0;
        this.multiplier = 1;
        this.state = 'length';
        continue;
      }
      // Remaining length: 7 bits per byte, least significant first, at most 4 bytes.
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      if (this.length > this.maxRemainingLength) return new FrameTooLargeError(this.type, this.length, this.maxRemainingLength);
      if (byte & 0x80) continue; // more length bytes (a 5th is malformed; the MQTT parser rejects it)
      this.remaining = this.length;
      this.state = this.remaining > 0 ? 'body' : 'type';
    }
    return null;
  }
}

/**
 * Wraps a connection: reads pass through a FrameMeter, writes go straight to `inner`. On an
 * oversized packet `onTooLarge` runs and the connection is destroyed before the packet's bytes
 * reach the reader.
 */
export function guardFrames(inner: Duplex, maxRemainingLength: number, onTooLarge: (err: FrameTooLargeError) => void): Duplex {
  const meter = new FrameMeter(maxRemainingLength);
  const outer = new Duplex({
    read() {
      inner.resume();
    },
    write(chunk: Buffer, encoding, callback) {
      inner.write(chunk, encoding, callback);
    },
    final(callback) {
      inner.end(callback);
    },
    destroy(err, callback) {
      inner.destroy();
      callback(err);
    },
  });
  inner.on('data', (chunk: Buffer) => {
    const tooLarge = meter.feed(chunk);
    if (tooLarge) {
      inner.pause();
      onTooLarge(tooLarge);
      outer.destroy(tooLarge);
      return;
    }
    if (!outer.push(chunk)) inner.pause();
  });
  inner.on('end', () => outer.push(null));
  inner.on('error', (err) => outer.destroy(err));
  // After a clean end the reader may still hold the last packets (a DISCONNECT, say): let it drain
  // them and finish; only an abrupt close is passed on at once.
  inner.on('close', () => {
    if (!inner.readableEnded) outer.destroy();
  });
  return outer;
}
