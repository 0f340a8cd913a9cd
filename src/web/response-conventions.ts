import { createHash } from 'node:crypto';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * What every REST and web UI response gets (never git's or LFS's, whose clients and bodies are
 * their own):
 * - `Server-Timing: app;dur=…` on `/api/` (the time spent in the server, for clients and benches);
 * - a validator on successful `GET /api/` answers: an `ETag` (the route's own, or a hash of the
 *   body), so `If-None-Match` gets `304 Not Modified` without the body; answers depend on who asks,
 *   so caches must revalidate (`no-cache`) and keep them apart (`Vary: Authorization`);
 * - compression (brotli, else gzip) of text bodies of at least `MIN_COMPRESSED_BYTES`: dynamic
 *   answers at a fast brotli level, the UI's immutable assets at the best level, once.
 */
const BROWSER_FACING = /^\/(api|ui)(\/|$|\?)/;
const API = /^\/api(\/|$|\?)/;
const COMPRESSIBLE = /^(application\/(json|javascript|problem\+json)|text\/|image\/svg\+xml)/;
const MIN_COMPRESSED_BYTES = 1024;
/** Brotli level of answers computed per request: level 4 compresses JSON well at gzip's speed. */
const DYNAMIC_BROTLI_QUALITY = 4;

type Encoding = 'br' | 'gzip';

/** Compressed copies of immutable bodies (the UI's hashed assets, kept in memory by StaticAssets). */
const compressedAssets = new WeakMap<Buffer, Partial<Record<Encoding, Buffer>>>();

function chosenEncoding(request: FastifyRequest): Encoding | undefined {
  const accepted = String(request.headers['accept-encoding'] ?? '');
  const offers = (name: string) =>
    accepted.split(',').some((part) => {
      const [token, ...params] = part.trim().split(';');
      return (
        token?.trim().toLowerCase() === name && !params.some((param) => /^\s*q=0(\.0*)?\s*$/.test(param))
      );
    });
  if (offers('br')) return 'br';
  if (offers('gzip')) return 'gzip';
  return undefined;
}

function compress(body: Buffer, encoding: Encoding, best: boolean): Buffer {
  if (encoding === 'gzip') return gzipSync(body, { level: best ? 9 : 6 });
  return brotliCompressSync(body, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: best ? zlib.BROTLI_MAX_QUALITY : DYNAMIC_BROTLI_QUALITY,
      [zlib.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
}

function compressedBody(body: Buffer, encoding: Encoding, immutable: boolean): Buffer {
  if (!immutable) return compress(body, encoding, false);
  const cached = compressedAssets.get(body) ?? {};
  const hit = cached[encoding];
  if (hit) return hit;
  const made = compress(body, encoding, true);
  compressedAssets.set(body, { ...cached, [encoding]: made });
  return made;
}

function addVary(reply: FastifyReply, name: string): void {
  const current = String(reply.getHeader('vary') ?? '');
  if (current.split(',').some((part) => part.trim().toLowerCase() === name.toLowerCase())) return;
  void reply.header('Vary', current ? `${current}, ${name}` : name);
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const strip = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || strip(tag) === strip(etag));
}

export function registerResponseConventions(app: FastifyInstance): void {
  const started = new WeakMap<object, bigint>();
  app.addHook('onRequest', async (request) => {
    if (API.test(request.url)) started.set(request, process.hrtime.bigint());
  });
  app.addHook('onSend', async (request, reply, payload: unknown) => {
    if (!BROWSER_FACING.test(request.url)) return payload;
    const api = API.test(request.url);
    const start = started.get(request);
    if (start !== undefined) {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      void reply.header('Server-Timing', `app;dur=${ms.toFixed(2)}`);
    }
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    let body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const success = reply.statusCode === 200;
    if (api && success && (request.method === 'GET' || request.method === 'HEAD')) {
      const etag =
        (reply.getHeader('etag') as string | undefined) ??
        `W/"${createHash('sha1').update(body).digest('base64url')}"`;
      void reply.header('ETag', etag);
      if (!reply.hasHeader('cache-control')) void reply.header('Cache-Control', 'private, no-cache');
      addVary(reply, 'Authorization');
      if (etagMatches(request.headers['if-none-match'], etag)) {
        void reply.code(304);
        reply.removeHeader('content-length');
        reply.removeHeader('content-type');
        return '';
      }
    }
    const type = String(reply.getHeader('content-type') ?? '');
    if (body.length < MIN_COMPRESSED_BYTES || !COMPRESSIBLE.test(type) || reply.hasHeader('content-encoding'))
      return payload;
    addVary(reply, 'Accept-Encoding');
    const encoding = chosenEncoding(request);
    if (!encoding) return payload;
    const immutable = String(reply.getHeader('cache-control') ?? '').includes('immutable');
    body = compressedBody(body, encoding, immutable && Buffer.isBuffer(payload));
    void reply.header('Content-Encoding', encoding);
    reply.removeHeader('content-length');
    return body;
  });
}
