import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../deps.js';

/** Commit statuses over REST (GitHub's `POST /repos/{owner}/{repo}/statuses/{sha}` shape). */
export async function statusRoutes(_app: FastifyInstance, _ctx: RouteContext): Promise<void> {}
