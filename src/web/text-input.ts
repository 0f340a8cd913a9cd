import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalid } from '../platform/errors.js';

/**
 * Text inputs never carry NUL. PostgreSQL cannot store U+0000 in text and fails the statement
 * (a 500, or a push hung up half-way), SQLite and MySQL would store it; refusing it with 400 at
 * the edge makes every database answer alike. Binary bodies (packs, LFS objects) are streams and
 * never pass through here.
 */
const ENCODED_NUL = /%00/i;
const NUL = '\u0000';
/** Nesting a JSON walk follows; a body deeper than this is refused rather than walked. */
const MAX_JSON_DEPTH = 64;

/**
 * The JSON path (`a.b[2]`) of the first string or key holding NUL, or undefined. A body nested
 * deeper than `MAX_JSON_DEPTH` is refused (no endpoint takes one) rather than walked.
 */
export function findNul(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes(NUL) ? path || '(body)' : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= MAX_JSON_DEPTH) {
    throw invalid('body_too_deep', `the request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findNul(item, `${path}[${index}]`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const itemPath = path ? `${path}.${key}` : key;
    if (key.includes(NUL)) return itemPath.replaceAll(NUL, '\\0');
    const found = findNul(item, itemPath, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Refuses a URL (path or query) with an encoded NUL, before routing, authentication or SQL. */
export function refuseNulInUrl(request: FastifyRequest): void {
  if (ENCODED_NUL.test(request.url)) {
    throw invalid(
      'text_contains_nul',
      'the URL contains a NUL character (%00); text parameters cannot contain NUL',
    );
  }
}

/** Refuses a parsed JSON body with NUL in any string or key, naming where. */
export function refuseNulInJson(value: unknown): void {
  const where = findNul(value);
  if (where !== undefined) {
    throw invalid(
      'text_contains_nul',
      `the request body contains a NUL character in ${where}; text fields cannot contain NUL`,
      {
        field: where,
      },
    );
  }
}

type JsonParser = ReturnType<FastifyInstance['getDefaultJsonParser']>;

/** Fastify's JSON parser followed by the NUL rule. */
export function nulRefusingJsonParser(parse: JsonParser): JsonParser {
  return (request, body, done) => {
    void parse(request, body, (error, value) => {
      if (error) return done(error, undefined);
      try {
        refuseNulInJson(value);
      } catch (refusal) {
        return done(refusal as Error, undefined);
      }
      done(null, value);
    });
  };
}
