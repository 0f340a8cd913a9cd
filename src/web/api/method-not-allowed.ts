import type { FastifyReply, FastifyRequest } from 'fastify';
import { MegaError } from '../../platform/errors.js';
import { problemBody, sendProblem } from '../error-handler.js';
import type { OperationRegistry } from './openapi.js';

/** The route that dispatches repository-scoped URLs (`server.ts`); REST never reaches it on purpose. */
const CATCH_ALL_ROUTE = '/*';

/**
 * `onRequest` hook: a request on a declared REST path with a method that path does not have is
 * 405 Method Not Allowed with an `Allow` header (RFC 9110 §15.5.6), instead of falling through to
 * the repository catch-all and its 404. `OPTIONS` on such a path answers 204 with `Allow`.
 *
 * The decision comes from the declarations (`OperationRegistry`) alone, and only for requests no
 * declared route took: git and other repository URLs never match a declared `/api/` path, so they
 * keep their behaviour.
 */
export function methodNotAllowed(operations: OperationRegistry) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const matched = request.routeOptions.url;
    if (matched !== undefined && matched !== CATCH_ALL_ROUTE) return undefined;
    const path = request.url.split('?')[0] ?? '';
    if (!path.startsWith('/api/')) return undefined;
    const declared = operations.methodsAt(path);
    if (declared.length === 0 || declared.includes(request.method)) return undefined;
    const allow = [...declared, 'OPTIONS'].sort().join(', ');
    void reply.header('Allow', allow);
    if (request.method === 'OPTIONS') return reply.code(204).send();
    const refusal = new MegaError(
      'invalid',
      'method_not_allowed',
      `${request.method} is not allowed on ${path}`,
      {
        method: request.method,
        allowed: allow.split(', '),
      },
    );
    return sendProblem(reply, problemBody(refusal, request, 405));
  };
}
