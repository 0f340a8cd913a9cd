import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseAccessPath } from '../../access/paths.js';
import { requireUser } from '../../access/principal.js';
import { notFound } from '../../platform/errors.js';
import { MAX_PUBLIC_KEY_LINE } from '../../ssh/public-key.js';
import type { SshKeyInfo } from '../../storage/ssh/ssh-key-store.js';
import type { RouteContext } from '../deps.js';
import { components, routesOf } from './operation.js';
import { listSchema } from './pagination.js';

const PathText = z.string().min(1).max(1024);
const KeyText = z
  .string()
  .min(1)
  .max(MAX_PUBLIC_KEY_LINE)
  .describe(
    'One OpenSSH public key line (the .pub file): ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa ≥ 2048 bits',
  );
const Title = z.string().min(1).max(255).optional().describe('A label (default: the key comment)');
const KeyParams = z.object({
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe('Key id'),
});

const SshKeySchema = z
  .object({
    id: z.int(),
    title: z.string(),
    type: z.string().describe('ssh-ed25519, ecdsa-sha2-nistp256 …, ssh-rsa'),
    bits: z.int(),
    fingerprint: z.string().describe('OpenSSH SHA256 fingerprint, as `ssh-keygen -l` prints it'),
    publicKey: z.string().describe('The key line without comment'),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
  })
  .register(components, { id: 'SshKey' });
const DeployKeySchema = SshKeySchema.extend({
  path: z.string().describe('The one path the key may read (and push to, with write)'),
  write: z.boolean(),
}).register(components, { id: 'DeployKey' });

/**
 * SSH keys over REST (docs/ssh.md): a user's own keys under `/api/v1/user/keys`, and deploy keys
 * under `/api/v1/deploy-keys`, which need `admin` on their path (the role that manages grants:
 * a read-write deploy key is a grant of `write`).
 */
export async function sshKeyRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const keys = ctx.sshKeys;
  const route = routesOf(app);

  route({
    method: 'GET',
    path: '/api/v1/user/keys',
    operationId: 'listSshKeys',
    tag: 'ssh keys',
    summary: "The signed-in user's SSH public keys",
    access: 'user',
    responses: { 200: { description: 'The keys', schema: listSchema(SshKeySchema) } },
    handler: async (request) => {
      const user = requireUser(request.principal);
      return { items: (await keys.listUserKeys(user.userId)).map(userKeyView) };
    },
  });

  route({
    method: 'POST',
    path: '/api/v1/user/keys',
    operationId: 'addSshKey',
    tag: 'ssh keys',
    summary: 'Add an SSH public key for git over SSH',
    access: 'user',
    body: z.object({ key: KeyText, title: Title }),
    errors: { 409: 'The key is already in use (yours, another user’s or a deploy key)' },
    responses: { 201: { description: 'The key', schema: SshKeySchema } },
    handler: async (request, reply) => {
      const user = requireUser(request.principal);
      const added = await keys.addUserKey(user.userId, request.body.key, request.body.title);
      return reply.status(201).send(userKeyView(added));
    },
  });

  route({
    method: 'DELETE',
    path: '/api/v1/user/keys/:id',
    operationId: 'removeSshKey',
    tag: 'ssh keys',
    summary: 'Remove one of your SSH keys',
    access: 'user',
    params: KeyParams,
    errors: { 404: 'No such key of yours' },
    responses: { 204: { description: 'Removed' } },
    handler: async (request, reply) => {
      const user = requireUser(request.principal);
      await keys.removeUserKey(user.userId, request.params.id);
      return reply.status(204).send();
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/deploy-keys',
    operationId: 'listDeployKeys',
    tag: 'ssh keys',
    summary: 'Deploy keys of a path (needs admin there)',
    access: 'user',
    query: z.object({ path: PathText }),
    errors: { 404: 'The path cannot be read' },
    responses: { 200: { description: 'The keys', schema: listSchema(DeployKeySchema) } },
    handler: async (request) => {
      const path = parseAccessPath(request.query.path);
      (await request.permissions()).require(path, 'admin', 'listing deploy keys');
      return { items: (await keys.listDeployKeys(path)).map(deployKeyView) };
    },
  });

  route({
    method: 'POST',
    path: '/api/v1/deploy-keys',
    operationId: 'addDeployKey',
    tag: 'ssh keys',
    summary: 'Add a deploy key on a path, read-only unless write (needs admin there)',
    access: 'user',
    body: z.object({ path: PathText, key: KeyText, title: Title, write: z.boolean().default(false) }),
    errors: { 404: 'The path cannot be read', 409: 'The key is already in use' },
    responses: { 201: { description: 'The deploy key', schema: DeployKeySchema } },
    handler: async (request, reply) => {
      const user = requireUser(request.principal);
      const path = parseAccessPath(request.body.path);
      (await request.permissions()).require(path, 'admin', 'adding deploy keys');
      const added = await keys.addDeployKey({
        path,
        write: request.body.write,
        key: request.body.key,
        ...(request.body.title !== undefined ? { title: request.body.title } : {}),
        createdBy: user.userId,
      });
      return reply.status(201).send(deployKeyView(added));
    },
  });

  route({
    method: 'DELETE',
    path: '/api/v1/deploy-keys/:id',
    operationId: 'removeDeployKey',
    tag: 'ssh keys',
    summary: 'Remove a deploy key (needs admin on its path)',
    access: 'user',
    params: KeyParams,
    errors: { 404: 'No such deploy key you may manage' },
    responses: { 204: { description: 'Removed' } },
    handler: async (request, reply) => {
      const found = await keys.findDeployKey(request.params.id);
      const permissions = await request.permissions();
      // A key on a path the caller cannot see does not exist for them.
      if (!found || found.owner.kind !== 'deploy' || !permissions.canRead(found.owner.path))
        throw notFound('ssh_key_not_found', 'no such deploy key');
      permissions.require(found.owner.path, 'admin', 'removing deploy keys');
      await keys.removeDeployKey(found.id);
      return reply.status(204).send();
    },
  });
}

function userKeyView(key: SshKeyInfo) {
  return {
    id: key.id,
    title: key.title,
    type: key.type,
    bits: key.bits,
    fingerprint: key.fingerprint,
    publicKey: `${key.type} ${key.publicKey}`,
    createdAt: key.createdAt,
    lastUsedAt: key.lastUsedAt,
  };
}

function deployKeyView(key: SshKeyInfo) {
  return {
    ...userKeyView(key),
    path: key.owner.kind === 'deploy' ? key.owner.path : '',
    write: key.owner.kind === 'deploy' && key.owner.write,
  };
}
