import type { FastifyRequest } from 'fastify';
import { MegaError, forbidden } from '../platform/errors.js';

/** Methods that change state: the ones a cross-site page must not be able to send with effect. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const REST_PATH = /^\/api\//;

/**
 * The CSRF defence of the REST API, for requests that change state:
 * - the body, when there is one, must be `application/json`. A cross-site form or `fetch` without
 *   a CORS preflight can only send `text/plain`, `application/x-www-form-urlencoded` or
 *   `multipart/form-data`, so those are refused (415) before any handler runs;
 * - an `Origin` header, when a browser sends one, must be this server's own origin (its `Host`,
 *   or the configured `publicUrl` behind a proxy), else 403 `origin_forbidden`.
 * Clients that are not browsers (git, curl, scripts) send no Origin and JSON bodies: unaffected.
 */
export function sameOriginGuard(publicUrl: string | undefined) {
  const publicOrigin = publicUrl ? new URL(publicUrl).origin : undefined;
  return async (request: FastifyRequest): Promise<void> => {
    if (!STATE_CHANGING.has(request.method) || !REST_PATH.test(request.url)) return;
    if (hasBody(request) && !isJson(request.headers['content-type'])) {
      throw new MegaError(
        'unsupported_media',
        'unsupported_media_type',
        'this endpoint takes application/json bodies only',
        { contentType: request.headers['content-type'] ?? null },
      );
    }
    const origin = request.headers.origin;
    if (origin === undefined) return;
    const parsed = parseOrigin(origin);
    // The scheme the browser used is the one to assume for Host: behind a TLS proxy we see http.
    const own =
      parsed && request.headers.host ? parseOrigin(`${parsed.protocol}//${request.headers.host}`) : undefined;
    if (parsed === undefined || (parsed.origin !== own?.origin && parsed.origin !== publicOrigin)) {
      throw forbidden('origin_forbidden', 'cross-origin requests may not change anything here', { origin });
    }
  };
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['content-type'] !== undefined ||
    request.headers['transfer-encoding'] !== undefined ||
    (length !== undefined && length !== '0')
  );
}

function isJson(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  return mediaType === 'application/json';
}

/** The origin as a URL (default ports dropped, host lower-cased); undefined for `null` or garbage. */
function parseOrigin(origin: string): URL | undefined {
  try {
    const url = new URL(origin);
    return url.host === '' ? undefined : url;
  } catch {
    return undefined;
  }
}
