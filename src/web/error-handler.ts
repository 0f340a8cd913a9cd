import type { FastifyError, FastifyInstance } from 'fastify';
import { HTTP_STATUS_BY_KIND, MegaError, foreignErrorCode, isMegaError } from '../platform/errors.js';
import { classifyFileFault } from '../storage/storage-faults.js';
import type { ErrorBody } from './api/operation.js';

/** Realm of the HTTP Basic challenge; git prompts for (or looks up) credentials when it sees it. */
export const AUTH_REALM = 'Mega';

/**
 * The challenge of the REST API and the web UI: Bearer, never Basic, because a browser answers a
 * Basic challenge with its login popup and then caches what was typed for every later request.
 */
export const BEARER_CHALLENGE = 'Bearer realm="mega"';

/** Paths whose 401s carry the Bearer challenge; git's (smart HTTP, LFS) keep Basic so git asks. */
const BROWSER_FACING_PATH = /^\/(api|ui)(\/|$)/;

/** The `WWW-Authenticate` value of a 401 on `url`. */
export function challengeFor(url: string): string {
  const path = url.split('?')[0] ?? '';
  return BROWSER_FACING_PATH.test(path) ? BEARER_CHALLENGE : `Basic realm="${AUTH_REALM}", charset="UTF-8"`;
}

/**
 * What a 503 asks clients to wait before trying again (RFC 9110 §10.2.3): a database restart or a
 * freed disk is a matter of seconds to minutes, not of the client's input.
 */
export const RETRY_AFTER_SECONDS = 10;

/** Maps framework errors and file-system faults (body too large, bad JSON …) onto MegaError kinds. */
export function toMegaError(error: FastifyError | Error): MegaError {
  if (isMegaError(error)) return error;
  // A full disk met outside the stores (LFS uploads, caches) is as much a 503 as inside them.
  const fault = classifyFileFault(error);
  if (fault) return fault;
  const status = (error as FastifyError).statusCode;
  const code = (error as FastifyError).code ?? 'internal_error';
  if (status === 413) return new MegaError('too_large', 'request_too_large', error.message);
  if (status === 415) return new MegaError('unsupported_media', 'unsupported_media_type', error.message);
  if (status === 404) return new MegaError('not_found', 'not_found', error.message);
  if (status !== undefined && status >= 400 && status < 500) {
    return new MegaError('invalid', foreignErrorCode(code.toLowerCase()), error.message);
  }
  return new MegaError('internal', 'internal_error', 'internal server error');
}

/** Smart HTTP URLs (http-protocol.txt): their errors are told as git shows them. */
const SMART_HTTP_PATH = /\/(info\/refs|git-upload-pack|git-receive-pack)$/;

function isSmartHttp(url: string): boolean {
  return SMART_HTTP_PATH.test(url.split('?')[0] ?? '');
}

export function errorBody(error: MegaError): ErrorBody {
  return { error: { code: error.code, message: error.message, details: error.details } };
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const mega = toMegaError(error);
    const status = HTTP_STATUS_BY_KIND[mega.kind];
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.debug({ code: mega.code }, 'request refused');
    if (mega.kind === 'unauthorized') void reply.header('WWW-Authenticate', challengeFor(request.url));
    if (mega.kind === 'unavailable') void reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
    if (mega.kind === 'rate_limited') {
      void reply.header('Retry-After', String(mega.details.retryAfter ?? RETRY_AFTER_SECONDS));
    }
    if (isSmartHttp(request.url) && mega.kind !== 'unauthorized') {
      // git prints a text/plain body of a failed request as `remote: …` (remote-curl.c
      // show_http_message); a JSON body it would not show at all. On 401 git asks for credentials
      // and shows no body, so that one keeps the JSON shape.
      return reply.status(status).type('text/plain; charset=utf-8').send(`${mega.message}\n`);
    }
    return reply.status(status).type('application/json; charset=utf-8').send(errorBody(mega));
  });
  app.setNotFoundHandler((request, reply) => {
    const mega = new MegaError('not_found', 'route_not_found', 'no such route', {
      method: request.method,
      path: request.url.split('?')[0],
    });
    return reply.status(404).send(errorBody(mega));
  });
}
