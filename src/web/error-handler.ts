import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { publicBaseUrl } from '../platform/config.js';
import { HTTP_STATUS_BY_KIND, MegaError, invalid, isMegaError, notFound } from '../platform/errors.js';
import { classifyFileFault } from '../storage/storage-faults.js';
import type { Problem } from './api/operation.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The configured public URL ('' when none): the base of problem `type` URIs. */
    megaPublicUrl: string;
  }
}

/** The media type of every error body outside git's and LFS's protocols (RFC 9457). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** The members RFC 9457 defines, plus our `code`: a detail of that name is nested, never overwrites. */
const PROBLEM_MEMBERS: ReadonlySet<string> = new Set([
  'type',
  'title',
  'status',
  'detail',
  'instance',
  'code',
  'details',
]);

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

/**
 * Fastify's own errors that a request can provoke, as the project's stable codes: a client never
 * sees `FST_ERR_*` (a framework detail that would change with the framework). Keyed by Fastify's
 * code; the message is ours, since Fastify's name its internals ("content-type is set to …").
 */
const FRAMEWORK_ERRORS: Readonly<Record<string, (error: FastifyError) => MegaError>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () => invalid('body_invalid', 'the request body is not valid JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    invalid('body_invalid', 'the request body is empty; this endpoint takes a JSON object'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    invalid('body_invalid', 'the request body does not have the length its Content-Length header says'),
  FST_ERR_ROUTE_MISSING_CONTENT_TYPE: () =>
    new MegaError('unsupported_media', 'unsupported_media_type', 'the request body has no Content-Type'),
  FST_ERR_ROUTE_MISSING_CONTENT: () => invalid('body_invalid', 'this endpoint needs a request body'),
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    new MegaError('too_large', 'request_too_large', 'the request body is larger than this endpoint takes'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new MegaError(
      'unsupported_media',
      'unsupported_media_type',
      'this endpoint does not take that Content-Type',
    ),
  FST_ERR_BAD_URL: () => invalid('path_encoding_invalid', 'the URL is not valid percent-encoded UTF-8'),
  FST_ERR_INVALID_URL: () => invalid('path_encoding_invalid', 'the URL is not valid'),
  FST_ERR_MAX_PARAM_LENGTH: () => invalid('path_segment_too_long', 'a segment of the URL is too long'),
  FST_ERR_NOT_FOUND: () => notFound('route_not_found', 'no such route'),
  FST_ERR_VALIDATION: () => invalid('request_invalid', 'the request is not valid'),
};

/**
 * Maps framework errors and file-system faults (body too large, bad JSON …) onto MegaError kinds.
 * Only MegaErrors keep their code; anything else gets one of ours, whatever its own code was.
 */
export function toMegaError(error: FastifyError | Error): MegaError {
  if (isMegaError(error)) return error;
  // A full disk met outside the stores (LFS uploads, caches) is as much a 503 as inside them.
  const fault = classifyFileFault(error);
  if (fault) return fault;
  const known = FRAMEWORK_ERRORS[String((error as FastifyError).code)];
  if (known) return known(error as FastifyError);
  const status = (error as FastifyError).statusCode;
  if (status === 413) return new MegaError('too_large', 'request_too_large', 'the request is too large');
  if (status === 415)
    return new MegaError('unsupported_media', 'unsupported_media_type', 'unsupported media type');
  if (status === 404) return notFound('not_found', 'not found');
  // Another 4xx from the framework or a library: a refusal of the request, told with our code.
  if (status !== undefined && status >= 400 && status < 500) {
    return invalid('request_invalid', 'the request is not valid');
  }
  return new MegaError('internal', 'internal_error', 'internal server error');
}

/** Smart HTTP URLs (http-protocol.txt): their errors are told as git shows them. */
const SMART_HTTP_PATH = /\/(info\/refs|git-upload-pack|git-receive-pack)$/;

function isSmartHttp(url: string): boolean {
  return SMART_HTTP_PATH.test(url.split('?')[0] ?? '');
}

/** Where a code is documented: the docs page's list of error codes, the problem's `type` URI. */
export function problemType(base: string, code: string): string {
  return `${base}/api/docs#error-${code}`;
}

/**
 * `error` as an RFC 9457 problem: `type` (the code's documentation), `title` (the status's reason
 * phrase, the same for every occurrence), `status`, `detail` (the message), `instance` (the
 * request's path, never its query, which may hold what a log must not), the stable `code`, and the
 * error's details as extension members. A detail named like a standard member is given under
 * `details` instead, so no detail can change what a member means.
 */
export function problemBody(error: MegaError, request: FastifyRequest, status?: number): Problem {
  const answered = status ?? HTTP_STATUS_BY_KIND[error.kind];
  const base = publicBaseUrl(
    request.server.megaPublicUrl || undefined,
    `${request.protocol}://${request.host}`,
  );
  const extensions: Record<string, unknown> = {};
  const clashing: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error.details)) {
    if (PROBLEM_MEMBERS.has(key)) clashing[key] = value;
    else extensions[key] = value;
  }
  return {
    type: problemType(base, error.code),
    title: STATUS_CODES[answered] ?? 'Error',
    status: answered,
    detail: error.message,
    instance: request.url.split('?')[0] ?? '/',
    code: error.code,
    ...extensions,
    ...(Object.keys(clashing).length > 0 ? { details: clashing } : {}),
  };
}

/** Sends `problem` as `application/problem+json` with its status. */
export function sendProblem(reply: FastifyReply, problem: Problem) {
  return reply.status(problem.status).type(PROBLEM_MEDIA_TYPE).send(JSON.stringify(problem));
}

/** Answers `error` in the project's shape: an RFC 9457 problem, or text for git's smart HTTP URLs. */
export function sendError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const mega = toMegaError(error);
  const status = HTTP_STATUS_BY_KIND[mega.kind];
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  // The framework's own code is worth a debug line: the client only sees ours.
  else request.log.debug({ code: mega.code, cause: (error as FastifyError).code }, 'request refused');
  if (mega.kind === 'unauthorized') void reply.header('WWW-Authenticate', challengeFor(request.url));
  if (mega.kind === 'unavailable') void reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
  if (mega.kind === 'rate_limited') {
    void reply.header('Retry-After', String(mega.details.retryAfter ?? RETRY_AFTER_SECONDS));
  }
  if (isSmartHttp(request.url) && mega.kind !== 'unauthorized') {
    // git prints a text/plain body of a failed request as `remote: …` (remote-curl.c
    // show_http_message); a JSON body it would not show at all. On 401 git asks for credentials
    // and shows no body, so that one keeps the problem shape.
    return reply.status(status).type('text/plain; charset=utf-8').send(`${mega.message}\n`);
  }
  return sendProblem(reply, problemBody(mega, request, status));
}

/**
 * Fastify's `frameworkErrors` option: errors met before routing (a URL that is not valid
 * percent-encoding, an over-long path parameter), which would otherwise be answered in Fastify's
 * own shape, bypassing the error handler.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendError(error, request, reply);
}

/** `publicUrl`: the configured public URL, the base of problem `type` URIs (else the request's origin). */
export function registerErrorHandler(app: FastifyInstance, publicUrl?: string): void {
  app.decorate('megaPublicUrl', publicUrl ?? '');
  app.setErrorHandler(sendError);
  app.setNotFoundHandler((request, reply) => {
    const mega = new MegaError('not_found', 'route_not_found', 'no such route', {
      method: request.method,
      path: request.url.split('?')[0],
    });
    return sendProblem(reply, problemBody(mega, request));
  });
}
