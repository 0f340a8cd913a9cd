import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../deps.js';

/** The commits API: file actions on a base commit, as a push would bring them (issue 22). */
export async function commitRoutes(_app: FastifyInstance, _ctx: RouteContext): Promise<void> {}
