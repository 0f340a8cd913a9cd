import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../deps.js';

/** Discussions on merge requests over REST (comments, line comments, replies, resolve) and the timeline. */
export async function discussionRoutes(_app: FastifyInstance, _ctx: RouteContext): Promise<void> {}
