import type { FastifyReply } from 'fastify';
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { MegaError, notFound } from '../../platform/errors.js';
import { RepositoryBrowser } from '../../repo/browse/repository-browser.js';
import type { RouteContext } from '../deps.js';
import { normalizeRepoPath } from '../repo-router.js';
import { MAX_POINTER_BYTES, parseLfsPointer } from './lfs-pointer.js';
import { routesOf } from './operation.js';
import { repoPathSchema, revisionSchema, treePathSchema } from './query.js';

const RawQuery = z.object({
  repo: repoPathSchema.describe('Repository path, e.g. /projects/foo'),
  ref: revisionSchema.default('HEAD').describe('Branch, tag, full ref name or commit id (default HEAD)'),
  path: treePathSchema.describe('Path of the file inside the repository'),
  download: z
    .enum(['0', '1', 'false', 'true'])
    .optional()
    .transform((value) => value === '1' || value === 'true')
    .describe('1: always `application/octet-stream` with `Content-Disposition: attachment`'),
});

/**
 * Images the browser may show from here, by extension. SVG is served as an image so `<img>` can
 * show it; opened directly it still cannot run script (the sandbox CSP below).
 */
const IMAGE_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
  svg: 'image/svg+xml',
};

/** No script, no plugin, no form, no navigation: raw content is never a page of this origin. */
const RAW_POLICY = "default-src 'none'; sandbox";
/** SVG drawings may carry inline styles; nothing else. */
const SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/**
 * `GET /api/v1/repos/raw`: a file's bytes, streamed whole. An LFS pointer is resolved through the
 * repository's LFS store (same read check as the repository: the caller read it here), so Raw and
 * Download give the real content, not the 131-byte pointer; a pointer whose object the store lacks
 * is served as it is. Content types are safe by construction: images by extension, other text as
 * `text/plain`, everything else (and every `download=1`) an attachment.
 */
export async function rawRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const route = routesOf(app);
  // Streamed from storage in pieces (inflated while sent): memory stays flat whatever the size.
  route({
    method: 'GET',
    path: '/api/v1/repos/raw',
    operationId: 'getRawFile',
    tag: 'code',
    summary: 'Raw file bytes (LFS pointers resolved to their object), streamed whole',
    access: 'read',
    query: RawQuery,
    responses: {
      200: {
        description: 'The bytes: an image type for images, text/plain for text, else an attachment',
        mediaType: 'application/octet-stream',
      },
    },
    errors: { 404: 'Repository, revision or path not found' },
    handler: async (request, reply) => {
      const query = request.query;
      const permissions = await request.permissions();
      const repoPath = normalizeRepoPath(query.repo);
      permissions.requireRead(repoPath);
      const repository = await ctx.repositories.resolve(repoPath, 'read', permissions);
      if (!repository.exists)
        throw notFound('repository_not_found', 'repository not found', { path: repoPath });
      const browser = new RepositoryBrowser(repository, { displayLimit: ctx.config.limits.maxDisplayBytes });
      const blob = await browser.openBlob(query.ref, query.path);
      const name = blob.path.split('/').pop() ?? 'file';
      const extension = name.includes('.') ? (name.split('.').pop()?.toLowerCase() ?? '') : '';
      const image = Object.hasOwn(IMAGE_TYPES, extension) ? IMAGE_TYPES[extension] : undefined;
      const head = { name, image, download: query.download };

      if (blob.size <= MAX_POINTER_BYTES && !blob.binary) {
        const bytes = await collect(blob.content);
        const pointer = parseLfsPointer(bytes);
        if (pointer) {
          // Checked before the object is opened: a 304 leaves nothing open.
          const etag = `"lfs-${pointer.oid}"`;
          if (notModified(request.headers['if-none-match'], etag)) return reply.code(304).send();
          const object = await openLfsObject(ctx, repository.path, pointer.oid);
          if (object) {
            rawHeaders(reply, { ...head, etag, size: object.size, binary: true });
            return reply.send(object.body);
          }
        }
        const etag = `"${blob.id}"`;
        if (notModified(request.headers['if-none-match'], etag)) return reply.code(304).send();
        rawHeaders(reply, { ...head, etag, size: bytes.length, binary: false });
        return reply.send(bytes);
      }
      const etag = `"${blob.id}"`;
      if (notModified(request.headers['if-none-match'], etag)) {
        await release(blob.content);
        return reply.code(304).send();
      }
      rawHeaders(reply, { ...head, etag, size: blob.size, binary: blob.binary });
      return reply.send(Readable.from(blob.content, { objectMode: false }));
    },
  });
}

/** The object behind a pointer, or undefined when this repository's LFS store lacks it. */
async function openLfsObject(ctx: RouteContext, repoPath: string, oid: string) {
  try {
    const download = await ctx.lfs.objects.download({ path: repoPath, exists: true }, oid, undefined);
    return download.body ? { size: download.size, body: download.body } : undefined;
  } catch (error) {
    if (error instanceof MegaError && error.kind === 'not_found') return undefined;
    throw error;
  }
}

function rawHeaders(
  reply: FastifyReply,
  file: {
    name: string;
    image: string | undefined;
    download: boolean;
    etag: string;
    size: number;
    binary: boolean;
  },
): void {
  const attachment = file.download || (!file.image && file.binary);
  const type =
    file.download || (!file.image && file.binary)
      ? 'application/octet-stream'
      : (file.image ?? 'text/plain; charset=utf-8');
  void reply
    .header('X-Content-Type-Options', 'nosniff')
    .header('Content-Security-Policy', file.image === IMAGE_TYPES.svg ? SVG_POLICY : RAW_POLICY)
    .header('ETag', file.etag)
    .header('Cache-Control', 'private, no-cache')
    .header('Vary', 'Authorization')
    .header('Content-Length', file.size)
    .type(type);
  if (attachment) void reply.header('Content-Disposition', contentDisposition(file.name));
}

/** `attachment` with an ASCII fallback name and the exact UTF-8 one (RFC 6266, RFC 8187). */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

function notModified(header: string | undefined, etag: string): boolean {
  return header !== undefined && header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** Ends a stream unread, so its storage reader is released (ending early ends the iterator). */
async function release(content: AsyncIterable<Buffer>): Promise<void> {
  for await (const piece of content) {
    void piece;
    break;
  }
}

async function collect(content: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of content) parts.push(part);
  return Buffer.concat(parts);
}
