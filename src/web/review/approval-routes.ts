import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../deps.js';

/** Approvals, review rules per path and code owners over REST. */
export async function approvalRoutes(_app: FastifyInstance, _ctx: RouteContext): Promise<void> {}
