import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Socket } from 'node:net';
import { createGunzip } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalid, tooLarge } from '../platform/errors.js';

/**
 * Counts bytes flowing through and fails the stream with a `too_large` MegaError past `limit`.
 * Applied after decompression, so a gzip bomb is cut off at the limit too.
 */
export class ByteLimit extends Transform {
  private seen = 0;

  constructor(
    private readonly limit: number,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      callback(
        tooLarge('request_too_large', `${this.what} exceeds the limit of ${this.limit} bytes`, {
          limit: this.limit,
        }),
      );
      return;
    }
    callback(null, chunk);
  }
}

/**
 * The request body as a stream, never buffered whole: the raw stream handed through by the
 * pass-through content-type parser (see `server.ts`), gunzipped when `Content-Encoding: gzip`
 * (git sends gzip bodies for large negotiations), limited to `maxBytes` after decoding.
 */
export function requestBodyStream(request: FastifyRequest, maxBytes: number): Readable {
  const source = (isReadable(request.body) ? request.body : request.raw) as Readable;
  const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
  const limit = new ByteLimit(maxBytes, 'request body');
  const forward = (error: Error) => limit.destroy(error);
  source.on('error', forward);
  if (encoding === 'gzip' || encoding === 'x-gzip') {
    const gunzip = createGunzip();
    gunzip.on('error', (error) =>
      limit.destroy(invalid('request_body_gzip_invalid', `invalid gzip request body: ${error.message}`)),
    );
    return source.pipe(gunzip).pipe(limit);
  }
  if (encoding !== 'identity') {
    throw invalid('content_encoding_unsupported', 'unsupported Content-Encoding', { encoding });
  }
  return source.pipe(limit);
}

function isReadable(value: unknown): value is Readable {
  return typeof value === 'object' && value !== null && typeof (value as Readable).pipe === 'function';
}

/** How long, and how much of, a refused request's unread body is still read and dropped. */
const DISCARD_GRACE_MS = 5_000;
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;

/**
 * After the response is sent, the body the handler did not read (a request refused at its cap)
 * is read and dropped, never buffered: when it ends soon, a keep-alive connection stays usable
 * for the client's next request; past a few seconds or megabytes the connection is closed.
 * Closing at once would reset it while the client still sends, and the client's system could
 * drop our answer before it is read; never closing would leave a client that streams gigabytes
 * stuck behind a paused socket.
 *
 * Node closes the connection of a last response (the client sent `Connection: close`, or spoke
 * HTTP/1.0) right after writing it, through the socket's `destroySoon`: for this request that
 * close becomes a half-close (the answer's end is sent) followed by the same bounded read.
 */
export function discardUnreadBody(request: FastifyRequest, reply: FastifyReply): void {
  const raw = request.raw;
  const socket = raw.socket;
  let lingering = false;
  const linger = (whenRead: () => void) => {
    if (lingering || raw.complete || raw.destroyed) return false;
    lingering = true;
    raw.unpipe();
    let dropped = 0;
    const close = () => socket.destroy();
    const timer = setTimeout(close, DISCARD_GRACE_MS);
    timer.unref();
    raw.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > DISCARD_MAX_BYTES) close();
    });
    raw.once('end', () => {
      clearTimeout(timer);
      whenRead();
    });
    raw.once('close', () => clearTimeout(timer));
    raw.resume();
    return true;
  };
  // Requests injected in tests have a socket of their own without `destroySoon`.
  if (typeof socket.destroySoon === 'function') {
    // Wrapped once per connection, for its current request: a keep-alive connection's requests
    // neither stack wrappers nor keep the earlier requests alive.
    if (!lingerOnClose.has(socket)) {
      const destroySoon = socket.destroySoon.bind(socket);
      socket.destroySoon = () => {
        if (!lingerOnClose.get(socket)?.()) return destroySoon();
        socket.end();
      };
    }
    lingerOnClose.set(socket, () => linger(() => socket.destroy()));
  }
  reply.raw.once('finish', () => linger(() => undefined));
}

/** Per connection, the bounded read of its current request's unread body (`discardUnreadBody`). */
const lingerOnClose = new WeakMap<Socket, () => boolean>();
