import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../deps.js';
import { routesOf } from './operation.js';
import { listSchema } from './pagination.js';

const GroupSchema = z.object({ name: z.string(), members: z.array(z.string()) });
const GroupName = z.string().min(1).max(64).describe('Group name');
const MemberParams = z.object({ name: GroupName, user: z.string().min(1).max(64).describe('User name') });

/** Groups of users, which grants can name (`@group` in the CLI); managed by site administrators. */
export async function groupRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const admin = ctx.accessAdmin;
  const route = routesOf(app);

  route({
    method: 'GET',
    path: '/api/v1/groups',
    operationId: 'listGroups',
    tag: 'groups',
    summary: 'Every group and its members',
    access: 'admin',
    responses: { 200: { description: 'The groups', schema: listSchema(GroupSchema) } },
    handler: async () => ({
      items: (await admin.listGroups()).map((group) => ({ name: group.name, members: group.members })),
    }),
  });

  route({
    method: 'POST',
    path: '/api/v1/groups',
    operationId: 'createGroup',
    tag: 'groups',
    summary: 'Create a group',
    access: 'admin',
    body: z.object({ name: GroupName }),
    responses: { 201: { description: 'The new group', schema: GroupSchema } },
    errors: { 409: 'A group with this name exists' },
    handler: async (request, reply) => {
      const group = await admin.createGroup(request.body.name);
      return reply.status(201).send({ name: group.name, members: group.members });
    },
  });

  route({
    method: 'DELETE',
    path: '/api/v1/groups/:name',
    operationId: 'deleteGroup',
    tag: 'groups',
    summary: 'Delete a group, its memberships and its grants',
    access: 'admin',
    params: z.object({ name: GroupName }),
    responses: { 204: { description: 'Deleted' } },
    errors: { 404: 'No such group' },
    handler: async (request, reply) => {
      await admin.deleteGroup(request.params.name);
      return reply.status(204).send();
    },
  });

  route({
    method: 'PUT',
    path: '/api/v1/groups/:name/members/:user',
    operationId: 'addGroupMember',
    tag: 'groups',
    summary: 'Add a user to a group (adding twice is not an error)',
    access: 'admin',
    params: MemberParams,
    responses: { 200: { description: 'The group now', schema: GroupSchema } },
    errors: { 404: 'No such group or user' },
    handler: async (request) => {
      const group = await admin.addMember(request.params.name, request.params.user);
      return { name: group.name, members: group.members };
    },
  });

  route({
    method: 'DELETE',
    path: '/api/v1/groups/:name/members/:user',
    operationId: 'removeGroupMember',
    tag: 'groups',
    summary: 'Remove a user from a group',
    access: 'admin',
    params: MemberParams,
    responses: { 204: { description: 'Removed' } },
    errors: { 404: 'No such group, user or membership' },
    handler: async (request, reply) => {
      await admin.removeMember(request.params.name, request.params.user);
      return reply.status(204).send();
    },
  });
}
