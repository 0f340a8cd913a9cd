import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../deps.js';
import { requireUser } from '../principal.js';
import { parseInput } from './query.js';

const CreateTokenBody = z.object({
  name: z.string().min(1).max(100),
  /** ISO-8601 expiry; absent = never expires. */
  expires_at: z.iso.datetime().optional(),
});
const TokenParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

/**
 * The signed-in user and their personal access tokens. A new token's plaintext is in the create
 * response only; listings never contain it.
 */
export async function tokenRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const users = ctx.users;

  app.get('/api/v1/user', async (request) => {
    const user = requireUser(request.principal);
    return { id: user.userId, username: user.username, isAdmin: user.isAdmin };
  });

  app.get('/api/v1/user/tokens', async (request) => {
    const user = requireUser(request.principal);
    return { tokens: await users.listTokens(user.userId) };
  });

  app.post('/api/v1/user/tokens', async (request, reply) => {
    const user = requireUser(request.principal);
    const body = parseInput(CreateTokenBody, request.body, 'body');
    const created = await users.createToken(user.userId, body.name, {
      ...(body.expires_at ? { expiresAt: new Date(body.expires_at) } : {}),
    });
    void reply.header('Cache-Control', 'no-store');
    return reply.status(201).send({ token: created.token, info: created.info });
  });

  app.delete('/api/v1/user/tokens/:id', async (request, reply) => {
    const user = requireUser(request.principal);
    const params = parseInput(TokenParams, request.params, 'path');
    await users.revokeToken(user.userId, params.id);
    return reply.status(204).send();
  });
}
