import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../deps.js';
import { requireUser } from '../../access/principal.js';
import { DEFAULT_SCOPES, MAX_TOKEN_DAYS, parseScopes, SCOPES } from '../../access/roles.js';
import { forbidden } from '../../platform/errors.js';
import { TokenInfoSchema, UserSchema } from './api-schemas.js';
import { routesOf } from './operation.js';
import { listSchema } from './pagination.js';

const CreateTokenBody = z.object({
  name: z.string().min(1).max(100),
  scopes: z
    .array(z.enum(SCOPES))
    .min(1)
    .max(SCOPES.length)
    .optional()
    .describe('read, write, admin (default read,write); never more than the calling token has'),
  expiresInDays: z
    .int()
    .min(1)
    .max(MAX_TOKEN_DAYS)
    .optional()
    .describe('Days until the token stops working; absent: never'),
});
const MS_PER_DAY = 86_400_000;
const TokenParams = z.object({
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe('Token id'),
});

/**
 * The signed-in user and their personal access tokens. A new token's plaintext is in the create
 * response only; listings never contain it.
 */
export async function tokenRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const users = ctx.users;
  const route = routesOf(app);

  route({
    method: 'GET',
    path: '/api/v1/user',
    operationId: 'getCurrentUser',
    tag: 'tokens',
    summary: 'The signed-in user',
    access: 'user',
    responses: { 200: { description: 'The user the token belongs to', schema: UserSchema } },
    handler: async (request) => {
      const user = requireUser(request.principal);
      return { id: user.userId, username: user.username, isAdmin: user.isAdmin, scopes: user.scopes };
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/user/tokens',
    operationId: 'listTokens',
    tag: 'tokens',
    summary: "The signed-in user's access tokens (never their plaintext)",
    access: 'user',
    responses: { 200: { description: 'The tokens, oldest first', schema: listSchema(TokenInfoSchema) } },
    handler: async (request) => {
      const user = requireUser(request.principal);
      return { items: await users.listTokens(user.userId) };
    },
  });

  route({
    method: 'POST',
    path: '/api/v1/user/tokens',
    operationId: 'createToken',
    tag: 'tokens',
    summary: 'Create a token; the plaintext is in this response only',
    access: 'user',
    body: CreateTokenBody,
    errors: { 403: 'A scope the calling token lacks' },
    responses: {
      201: {
        description: 'The new token (Cache-Control: no-store)',
        schema: z.object({ token: z.string(), info: TokenInfoSchema }),
      },
    },
    handler: async (request, reply) => {
      const user = requireUser(request.principal);
      const body = request.body;
      const scopes = parseScopes(body.scopes ?? DEFAULT_SCOPES);
      const missing = scopes.filter((scope) => !user.scopes.includes(scope));
      if (missing.length > 0) {
        // Otherwise a read-only token could mint itself a writing one.
        throw forbidden('scope_insufficient', 'a token cannot create a token with scopes it lacks', {
          missing,
        });
      }
      const created = await users.createToken(user.userId, body.name, {
        scopes,
        ...(body.expiresInDays !== undefined
          ? { expiresAt: new Date(Date.now() + body.expiresInDays * MS_PER_DAY) }
          : {}),
      });
      void reply.header('Cache-Control', 'no-store');
      return reply.status(201).send({ token: created.token, info: created.info });
    },
  });

  route({
    method: 'DELETE',
    path: '/api/v1/user/tokens/:id',
    operationId: 'revokeToken',
    tag: 'tokens',
    summary: 'Revoke one of your tokens',
    access: 'user',
    params: TokenParams,
    responses: { 204: { description: 'Revoked' } },
    errors: { 404: 'No such token of yours' },
    handler: async (request, reply) => {
      const user = requireUser(request.principal);
      await users.revokeToken(user.userId, request.params.id);
      return reply.status(204).send();
    },
  });
}
