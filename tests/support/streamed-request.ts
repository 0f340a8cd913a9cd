import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { constants, createGzip } from 'node:zlib';
import { pkt } from './hostile-packs.js';

/**
 * An HTTP client for hostile request bodies: the body is generated and written with backpressure
 * (a gigabyte is never built in memory), writing stops as soon as the server has answered, and
 * the answer is kept (its first bytes) whether or not the server read the whole body.
 */
export interface StreamedReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The first `keepBytes` bytes of the response body. */
  readonly body: Buffer;
  /** All response body bytes received. */
  readonly bodyBytes: number;
  /** Request body bytes written before the server answered or closed. */
  readonly sentBytes: number;
}

export interface StreamedRequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Iterable<Buffer> | AsyncIterable<Buffer>;
  /** Response bytes kept in `body` (the rest is counted and dropped); default 64 KiB. */
  readonly keepBytes?: number;
}

export function streamedRequest(url: string, options: StreamedRequestOptions = {}): Promise<StreamedReply> {
  const target = new URL(url);
  const keepBytes = options.keepBytes ?? 64 * 1024;
  return new Promise((resolve, reject) => {
    let sentBytes = 0;
    let answered = false;
    let settled = false;
    const request = httpRequest({
      host: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      method: options.method ?? (options.body ? 'POST' : 'GET'),
      // One connection per request: a refused request's connection may be closed after the answer.
      agent: false,
      headers: options.headers,
    });
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    request.on('response', (response) => {
      answered = true;
      const kept: Buffer[] = [];
      let keptBytes = 0;
      let bodyBytes = 0;
      response.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.length;
        if (keptBytes < keepBytes) {
          kept.push(chunk.subarray(0, keepBytes - keptBytes));
          keptBytes += Math.min(chunk.length, keepBytes - keptBytes);
        }
      });
      const done = () => {
        if (settled) return;
        settled = true;
        request.destroy();
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(kept),
          bodyBytes,
          sentBytes,
        });
      };
      response.once('end', done);
      // The server may close once it has answered; what arrived is the answer.
      response.once('error', () => (bodyBytes > 0 ? done() : fail(new Error('response failed'))));
      response.once('close', () => (bodyBytes > 0 || response.complete ? done() : undefined));
    });
    request.on('error', (error) => {
      if (!answered) fail(error);
    });
    const write = async () => {
      if (options.body) {
        for await (const chunk of options.body) {
          if (answered || request.destroyed) return;
          sentBytes += chunk.length;
          if (!request.write(chunk)) {
            await new Promise<void>((next) => {
              const go = () => {
                request.off('drain', go);
                request.off('close', go);
                next();
              };
              request.once('drain', go);
              request.once('close', go);
            });
          }
        }
      }
      if (!answered && !request.destroyed) request.end();
    };
    write().catch(fail);
  });
}

/** pkt-lines repeating `line` until about `totalBytes`, in chunks of about 1 MiB (one buffer reused). */
export function* repeatedLines(line: string, totalBytes: number): Generator<Buffer> {
  const one = pkt(line);
  const perChunk = Math.max(1, Math.floor((1024 * 1024) / one.length));
  const chunk = Buffer.concat(new Array<Buffer>(perChunk).fill(one));
  for (let sent = 0; sent < totalBytes; sent += chunk.length) yield chunk;
}

/** A protocol v2 `ls-refs` request followed by about `totalBytes` of long `ref-prefix` lines. */
export function* lsRefsFlood(totalBytes: number): Generator<Buffer> {
  yield Buffer.concat([pkt('command=ls-refs\n'), pkt('agent=hostile\n'), Buffer.from('0001')]);
  yield* repeatedLines(`ref-prefix refs/heads/${'x'.repeat(65000)}\n`, totalBytes);
  yield Buffer.from('0000');
}

/** A protocol v0 upload-pack request: one want, then about `totalBytes` of `have` lines. */
export function* haveFlood(want: string, totalBytes: number): Generator<Buffer> {
  yield Buffer.concat([
    pkt(`want ${want} multi_ack_detailed side-band-64k ofs-delta\n`),
    Buffer.from('0000'),
  ]);
  yield* repeatedLines(`have ${want}\n`, totalBytes);
  yield Buffer.from('0000');
}

/** A protocol v0 upload-pack request of about `totalBytes` of `want` lines. */
export function* wantFlood(want: string, totalBytes: number): Generator<Buffer> {
  yield pkt(`want ${want} multi_ack_detailed side-band-64k ofs-delta\n`);
  yield* repeatedLines(`want ${want}\n`, totalBytes);
  yield Buffer.from('0000');
}

/** A push's command list of about `totalBytes` (the same update repeated), never reaching a pack. */
export function* pushCommandFlood(id: string, totalBytes: number): Generator<Buffer> {
  const zero = '0'.repeat(40);
  yield pkt(`${zero} ${id} refs/heads/flood\0report-status side-band-64k\n`);
  yield* repeatedLines(`${zero} ${id} refs/heads/flood\n`, totalBytes);
  yield Buffer.from('0000');
}

/** The gzip of `pieces`, compressed as they are generated (a gigabyte becomes about a megabyte). */
export async function gzipOf(pieces: Iterable<Buffer>): Promise<Buffer> {
  const gzip = createGzip({ level: constants.Z_BEST_COMPRESSION });
  const out: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    gzip.once('end', resolve);
    gzip.once('error', reject);
  });
  for (const piece of pieces) {
    if (!gzip.write(piece)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await ended;
  return Buffer.concat(out);
}
