/**
 * An HTTP/1.1 client that sends its whole request before reading a byte of the answer, as
 * Python's http.client and many scripts do. A server that closes the connection with request bytes
 * still unread resets it, and the reset throws the answer away: this client then fails (EPIPE,
 * ECONNRESET) where one reading while it writes (fetch) may still catch the answer first.
 */
import { connect } from 'node:net';

export interface RawRequest {
  method: string;
  /** Sent as is: percent-encoding mistakes included. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Empty for an event stream, which is returned at its headers. */
  body: string;
}

const HEAD_END = '\r\n\r\n';

/** The answer once `data` holds all of it (`ended`: the server closed the connection), else null. */
function parseResponse(data: Buffer, ended: boolean): RawResponse | null {
  const headEnd = data.indexOf(HEAD_END);
  if (headEnd < 0) return null;
  const [statusLine, ...lines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const status = Number(statusLine.split(' ')[1]);
  const rest = data.subarray(headEnd + HEAD_END.length);
  if (status === 204 || status === 304 || headers['content-type']?.startsWith('text/event-stream')) return { status, headers, body: '' };
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    return rest.length >= length ? { status, headers, body: rest.subarray(0, length).toString('utf8') } : null;
  }
  if (headers['transfer-encoding'] === 'chunked') {
    const body = unchunk(rest);
    return body === null ? null : { status, headers, body };
  }
  return ended ? { status, headers, body: rest.toString('utf8') } : null;
}

/** A chunked body decoded, or null while its last chunk has not arrived. */
function unchunk(data: Buffer): string | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) return Buffer.concat(parts).toString('utf8');
    if (data.length < lineEnd + 2 + size + 2) return null;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/**
 * One request on a fresh keep-alive connection to 127.0.0.1:`port` (no `Connection: close`, as those
 * clients send none), dropped once the answer is in; rejects if the connection breaks first.
 */
export function sendThenRead(port: number, req: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.pause(); // nothing is read until the whole request is written
    const chunks: Buffer[] = [];
    const settle = (ended: boolean) => {
      const res = parseResponse(Buffer.concat(chunks), ended);
      if (res) {
        socket.destroy();
        resolve(res);
      } else if (ended) {
        reject(new Error(`the connection closed before a whole answer (${Buffer.concat(chunks).length} bytes)`));
      }
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      settle(false);
    });
    socket.on('end', () => settle(true));
    socket.on('error', reject);
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const head = [
      `${req.method} ${req.path} HTTP/1.1`,
      'host: 127.0.0.1',
      ...(body ? [`content-length: ${body.length}`] : []),
      ...Object.entries(req.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    ].join('\r\n');
    socket.write(`${head}${HEAD_END}`);
    socket.write(body ?? Buffer.alloc(0), (err) => {
      if (!err) socket.resume();
    });
  });
}
