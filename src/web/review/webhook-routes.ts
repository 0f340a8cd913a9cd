import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireUser } from '../../access/principal.js';
import { WEBHOOK_EVENTS } from '../../review/webhooks.js';
import type { RouteContext } from '../deps.js';
import { components, routesOf } from '../api/operation.js';
import { listSchema, offsetPage, offsetPaging, pageSchema, sendPage } from '../api/pagination.js';

const Id = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const HookParams = z.object({ id: Id.describe('Webhook id') });
const DeliveryParams = z.object({ id: Id.describe('Webhook id'), delivery: Id.describe('Delivery id') });

// Bounds against huge bodies; the service checks the real rules with their own codes.
const eventsSchema = z
  .array(z.string().max(64))
  .max(32)
  .describe(`Events: some of ${WEBHOOK_EVENTS.join(', ')}`);
const CreateBody = z.object({
  path: z.string().min(1).max(1024).describe('Events whose paths are at or under it (e.g. /projects)'),
  url: z.string().max(8192).describe('Target: http or https, no credentials, ≤ 2048 characters'),
  secret: z.string().max(4096).describe('HMAC-SHA256 key of X-Mega-Signature-256 (8–256 characters)'),
  events: eventsSchema,
  active: z.boolean().optional(),
});
const UpdateBody = z.object({
  url: z.string().max(8192).optional(),
  secret: z.string().max(4096).optional(),
  events: eventsSchema.optional(),
  active: z.boolean().optional(),
});

const WebhookSchema = z
  .object({
    id: z.int(),
    path: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    active: z.boolean(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .register(components, { id: 'Webhook' });
const DeliverySchema = z
  .object({
    id: z.int(),
    webhookId: z.int(),
    deliveryId: z.string().describe('X-Mega-Delivery'),
    event: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.int(),
    nextAttemptAt: z.string().optional(),
    responseStatus: z.int().optional(),
    durationMs: z.int().optional(),
    error: z.string().optional(),
    createdAt: z.string(),
    finishedAt: z.string().optional(),
  })
  .register(components, { id: 'WebhookDelivery' });
const DeliveryDetailSchema = DeliverySchema.extend({
  payload: z.unknown(),
  responseBody: z.string().optional().describe('The first 4 KiB of the last response'),
}).register(components, { id: 'WebhookDeliveryDetail' });

const notFound = { 404: 'No such webhook (or not one you administer)' } as const;

/**
 * Webhooks and their delivery log over REST. Managing a webhook needs `admin` on its path; those
 * of other paths read as missing. Creating one queues a `ping` delivery.
 */
export async function webhookRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const route = routesOf(app);
  const service = ctx.review.webhooks;

  route({
    method: 'POST',
    path: '/api/v1/webhooks',
    operationId: 'createWebhook',
    tag: 'webhooks',
    summary: 'Create a webhook (needs admin on its path); a ping delivery follows',
    access: 'user',
    body: CreateBody,
    responses: { 201: { description: 'The webhook (never its secret)', schema: WebhookSchema } },
    errors: { 403: 'No admin role on the path', 404: 'The path is not readable' },
    handler: async (request, reply) => {
      const user = requireUser(request.principal);
      const body = request.body;
      const hook = await service.create(
        {
          path: body.path,
          url: body.url,
          secret: body.secret,
          events: body.events,
          ...(body.active !== undefined ? { active: body.active } : {}),
        },
        { username: user.username, authority: await request.permissions() },
      );
      return reply.status(201).send(hook);
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/webhooks',
    operationId: 'listWebhooks',
    tag: 'webhooks',
    summary: 'The webhooks you administer',
    access: 'user',
    query: z.object({ path: z.string().min(1).max(1024).optional().describe('Only those of this path') }),
    responses: { 200: { description: 'In creation order', schema: listSchema(WebhookSchema) } },
    handler: async (request) => ({
      items: await service.list(await request.permissions(), request.query.path),
    }),
  });

  route({
    method: 'GET',
    path: '/api/v1/webhooks/:id',
    operationId: 'getWebhook',
    tag: 'webhooks',
    summary: 'One webhook',
    access: 'user',
    params: HookParams,
    responses: { 200: { description: 'The webhook', schema: WebhookSchema } },
    errors: notFound,
    handler: async (request) => service.get(request.params.id, await request.permissions()),
  });

  route({
    method: 'PATCH',
    path: '/api/v1/webhooks/:id',
    operationId: 'updateWebhook',
    tag: 'webhooks',
    summary: 'Change the URL, secret, events or active flag of a webhook',
    access: 'user',
    params: HookParams,
    body: UpdateBody,
    responses: { 200: { description: 'The webhook', schema: WebhookSchema } },
    errors: notFound,
    handler: async (request) => {
      const body = request.body;
      return service.update(
        request.params.id,
        {
          ...(body.url !== undefined ? { url: body.url } : {}),
          ...(body.secret !== undefined ? { secret: body.secret } : {}),
          ...(body.events !== undefined ? { events: body.events } : {}),
          ...(body.active !== undefined ? { active: body.active } : {}),
        },
        await request.permissions(),
      );
    },
  });

  route({
    method: 'DELETE',
    path: '/api/v1/webhooks/:id',
    operationId: 'deleteWebhook',
    tag: 'webhooks',
    summary: 'Delete a webhook and its delivery log',
    access: 'user',
    params: HookParams,
    responses: { 204: { description: 'Deleted' } },
    errors: notFound,
    handler: async (request, reply) => {
      await service.delete(request.params.id, await request.permissions());
      return reply.status(204).send();
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/webhooks/:id/deliveries',
    operationId: 'listWebhookDeliveries',
    tag: 'webhooks',
    summary: 'The delivery log of a webhook, newest first',
    access: 'user',
    params: HookParams,
    query: z.object(offsetPaging()),
    responses: {
      200: {
        description: 'One page of deliveries',
        schema: pageSchema(DeliverySchema),
      },
    },
    errors: notFound,
    handler: async (request, reply) => {
      const position = { offset: request.query.cursor, limit: request.query.limit };
      // One more than the page: whether a next page exists.
      const rows = await service.deliveries(request.params.id, await request.permissions(), {
        limit: position.limit + 1,
        offset: position.offset,
      });
      return sendPage(request, reply, offsetPage(rows, position));
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/webhooks/:id/deliveries/:delivery',
    operationId: 'getWebhookDelivery',
    tag: 'webhooks',
    summary: 'One delivery with its payload and the last response body',
    access: 'user',
    params: DeliveryParams,
    responses: { 200: { description: 'The delivery', schema: DeliveryDetailSchema } },
    errors: { 404: 'No such webhook or delivery' },
    handler: async (request) =>
      service.delivery(request.params.id, request.params.delivery, await request.permissions()),
  });

  route({
    method: 'POST',
    path: '/api/v1/webhooks/:id/deliveries/:delivery/redeliver',
    operationId: 'redeliverWebhookDelivery',
    tag: 'webhooks',
    summary: 'Send a delivery again (a new delivery with the same payload)',
    access: 'user',
    params: DeliveryParams,
    responses: { 202: { description: 'The new delivery, queued', schema: DeliveryDetailSchema } },
    errors: { 404: 'No such webhook or delivery' },
    handler: async (request, reply) => {
      const queued = await service.redeliver(
        request.params.id,
        request.params.delivery,
        await request.permissions(),
      );
      return reply.status(202).send(queued);
    },
  });
}
