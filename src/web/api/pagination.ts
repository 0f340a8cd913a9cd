import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/**
 * The one pagination style of the REST API: `?cursor=&limit=` in, `{items, nextCursor?,
 * prevCursor?, total?}` out, with an RFC 8288 `Link` header naming the `first`, `next` and (where
 * the list can go back) `prev` pages. A cursor is opaque to clients: base64url of the position
 * the list resumes at, which is either an offset (lists computed whole, such as branches, or
 * walked, such as history: they can go back) or a keyset id (append-only logs: stable while rows
 * are added, forward only). Malformed, oversized or foreign cursors are 400 `query_invalid`.
 */

/** Largest page of any list; a bigger `limit` is refused, not clamped. */
export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 30;
/** Deepest offset a cursor may name: a bound against walks of whole histories. */
export const MAX_OFFSET = 1_000_000;
/** Longest cursor accepted: ours are under 20 characters. */
export const MAX_CURSOR_LENGTH = 64;

const OFFSET = /^o(0|[1-9]\d{0,6})$/;
const KEYSET = /^k([1-9]\d{0,14})$/;

function encode(position: string): string {
  return Buffer.from(position, 'utf8').toString('base64url');
}

/** The position a cursor names, or undefined when it is not one of ours. */
function decode(cursor: string): string | undefined {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  // base64url decoding is lenient; only the canonical encoding of a position is a cursor.
  return encode(text) === cursor ? text : undefined;
}

export const offsetCursor = (offset: number): string => encode(`o${offset}`);
export const keysetCursor = (id: number): string => encode(`k${id}`);

const cursorText = z
  .string()
  .max(MAX_CURSOR_LENGTH)
  .describe('Opaque: the `nextCursor` or `prevCursor` of the previous answer (absent: the first page)');

const limitSchema = (defaultLimit: number, maxLimit: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(maxLimit)
    .default(defaultLimit)
    .describe(`Items per page (≤ ${maxLimit}, default ${defaultLimit})`);

/** Query fields of a list that pages by offset: `cursor` becomes `offset` (0 without one). */
export function offsetPaging(options: { defaultLimit?: number; maxLimit?: number } = {}) {
  return {
    cursor: cursorText.optional().transform((cursor, ctx) => {
      if (cursor === undefined) return 0;
      const match = OFFSET.exec(decode(cursor) ?? '');
      const offset = match ? Number(match[1]) : Number.NaN;
      if (!(offset <= MAX_OFFSET)) {
        ctx.addIssue({ code: 'custom', message: 'not a cursor of this list' });
        return z.NEVER;
      }
      return offset;
    }),
    limit: limitSchema(options.defaultLimit ?? DEFAULT_LIMIT, options.maxLimit ?? MAX_LIMIT),
  };
}

/** Query fields of a list that pages by keyset: `cursor` becomes `before` (an id; none: newest). */
export function keysetPaging(options: { defaultLimit?: number; maxLimit?: number } = {}) {
  return {
    cursor: cursorText.optional().transform((cursor, ctx) => {
      if (cursor === undefined) return undefined;
      const match = KEYSET.exec(decode(cursor) ?? '');
      const before = match ? Number(match[1]) : Number.NaN;
      if (!Number.isSafeInteger(before)) {
        ctx.addIssue({ code: 'custom', message: 'not a cursor of this list' });
        return z.NEVER;
      }
      return before;
    }),
    limit: limitSchema(options.defaultLimit ?? DEFAULT_LIMIT, options.maxLimit ?? MAX_LIMIT),
  };
}

/** The list wrapper every list answers, for the OpenAPI document. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().optional().describe('Pass as `cursor` for the next page; absent on the last'),
    prevCursor: z
      .string()
      .optional()
      .describe('Pass as `cursor` for the previous page (offset lists); absent on the first'),
    total: z.int().optional().describe('How many items the whole list has, where it is known'),
  });
}

/** A list with no more than one page (small, bounded collections): the same wrapper, no cursors. */
export function listSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) });
}

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
  readonly prevCursor?: string;
  readonly total?: number;
}

/**
 * One page of an offset list. `rows` may hold one more than `limit` (asked for to learn whether
 * more exist) unless `total` tells it.
 */
export function offsetPage<T>(
  rows: readonly T[],
  position: { offset: number; limit: number },
  known: { total?: number; hasMore?: boolean } = {},
): Page<T> {
  const { offset, limit } = position;
  const more =
    known.hasMore ?? (known.total !== undefined ? offset + limit < known.total : rows.length > limit);
  return {
    items: rows.slice(0, limit),
    ...(more ? { nextCursor: offsetCursor(offset + limit) } : {}),
    ...(offset > 0 ? { prevCursor: offsetCursor(Math.max(0, offset - limit)) } : {}),
    ...(known.total !== undefined ? { total: known.total } : {}),
  };
}

/** One page of a keyset list, newest first: `rows` may hold one more than `limit`. */
export function keysetPage<T extends { readonly id: number }>(rows: readonly T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, ...(rows.length > limit && last ? { nextCursor: keysetCursor(last.id) } : {}) };
}

/** The request's own URL with `cursor` set (or removed), as a path-absolute reference. */
function pageUrl(request: FastifyRequest, cursor: string | undefined): string {
  const url = new URL(request.url, 'http://x');
  url.searchParams.delete('cursor');
  if (cursor !== undefined) url.searchParams.set('cursor', cursor);
  return `${url.pathname}${url.search}`;
}

/**
 * Sets the `Link` header of `page` (RFC 8288: `first`, and `next`/`prev` when they exist) and
 * returns the page to send, with `extra` fields (a list's context, e.g. `defaultBranch`).
 */
export function sendPage<T, E extends object = Record<never, never>>(
  request: FastifyRequest,
  reply: FastifyReply,
  page: Page<T>,
  extra?: E,
): Page<T> & E {
  const links = [`<${pageUrl(request, undefined)}>; rel="first"`];
  if (page.prevCursor !== undefined) links.push(`<${pageUrl(request, page.prevCursor)}>; rel="prev"`);
  if (page.nextCursor !== undefined) links.push(`<${pageUrl(request, page.nextCursor)}>; rel="next"`);
  void reply.header('Link', links.join(', '));
  return { ...page, ...(extra ?? ({} as E)) };
}
