import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../deps.js';

/** Webhooks and their delivery log over REST. */
export async function webhookRoutes(_app: FastifyInstance, _ctx: RouteContext): Promise<void> {}
