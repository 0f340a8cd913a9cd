import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../deps.js';

/** Smart HTTP routes (http-protocol.txt): registered on the repository router. */
export async function gitRoutes(_app: FastifyInstance, _ctx: RouteContext): Promise<void> {}
