import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { invalid } from '../../platform/errors.js';
import { publicBaseUrl } from '../../platform/config.js';

/**
 * A repository path in the Mega directory: `/projects/foo`. A missing leading `/` is added and
 * one trailing `/` dropped; everything else is checked by `normalizeRepoPath`.
 */
export const repoPathSchema = z
  .string()
  .min(1)
  .max(1024)
  .transform((value) => {
    const rooted = value.startsWith('/') ? value : `/${value}`;
    return rooted.length > 1 && rooted.endsWith('/') ? rooted.slice(0, -1) : rooted;
  });

/** A revision: branch, tag, full ref name or object id; checked in depth by the browser. */
export const revisionSchema = z.string().min(1).max(256);

/** A path inside a repository; empty = root. Checked segment by segment by the browser. */
export const treePathSchema = z.string().max(4096).default('');

const UNKNOWN_NAME = { query: 'parameter', body: 'field', path: 'parameter' } as const;

/** Validates a request part against a zod schema; `invalid/<what>_invalid` with the issues. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: 'query' | 'body' | 'path' = 'query',
): z.infer<T> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    throw invalid(`${what}_invalid`, `invalid ${what} parameters`, {
      issues: parsed.error.issues.flatMap((issue) =>
        // A closed object's extra keys are named one by one: `page: unknown parameter`.
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => `${[...issue.path, key].join('.')}: unknown ${UNKNOWN_NAME[what]}`)
          : [`${issue.path.join('.') || what}: ${issue.message}`],
      ),
    });
  }
  return parsed.data;
}

/** The base URL clients reach this server at: the configured public URL, else the request's origin. */
export function baseUrl(
  request: FastifyRequest,
  config: { readonly publicUrl?: string | undefined },
): string {
  return publicBaseUrl(config.publicUrl, `${request.protocol}://${request.host}`);
}
