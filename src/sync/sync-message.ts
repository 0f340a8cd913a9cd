import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { invalid } from '../platform/errors.js';
import { parseRemoteUrl } from './remote-url.js';

/**
 * The bus message: the seed's JSON (§3.3) plus `request_id` (the durable request row, so a worker
 * can record its result per request) and `task_type`. Both are optional on the wire: a producer
 * that publishes exactly the seed's shape gets a fresh `request_id` and `task_type` `manual` (the
 * seed's `operator_id` is the user of a manual trigger). It carries ids and public facts only — the
 * schema is strict, so a message with any extra field (a password, a key) is rejected, and no
 * field of it can hold a secret: workers load and decrypt the credential themselves.
 */
export const TASK_TYPES = ['scheduled', 'manual', 'reconcile', 'api'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const SyncMessageSchema = z
  .object({
    action: z.enum(['sync', 'delete']),
    request_id: z
      .string()
      .uuid()
      .default(() => randomUUID()),
    task_type: z.enum(TASK_TYPES).default('manual'),
    tenant_id: id,
    repository_id: id,
    repository: z
      .object({
        id,
        name: z.string().min(1).max(255),
        url: z
          .string()
          .min(1)
          .max(2048)
          .refine(isCredentialFreeUrl, { message: 'url must be a supported url without credentials' }),
        branch: z.string().min(1).max(255),
        is_public: z.boolean(),
        credential_id: id.nullable(),
      })
      .strict(),
    operator_id: id.nullable(),
  })
  .strict()
  .refine((message) => message.repository.id === message.repository_id, {
    message: 'repository.id must equal repository_id',
  });

function isCredentialFreeUrl(url: string): boolean {
  try {
    parseRemoteUrl(url);
    return true;
  } catch {
    return false;
  }
}

export type SyncMessage = z.infer<typeof SyncMessageSchema>;

/** Largest message accepted from the bus; real ones are a few hundred bytes. */
export const MAX_MESSAGE_BYTES = 16 * 1024;

export function parseSyncMessage(text: string): SyncMessage {
  if (Buffer.byteLength(text, 'utf8') > MAX_MESSAGE_BYTES)
    throw invalid('sync_message_too_large', 'sync message too large');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid('sync_message_malformed', 'sync message is not JSON');
  }
  const parsed = SyncMessageSchema.safeParse(json);
  if (!parsed.success) {
    throw invalid('sync_message_invalid', 'sync message does not match the schema', {
      issues: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    });
  }
  return parsed.data;
}

export function serializeSyncMessage(message: SyncMessage): string {
  return JSON.stringify(SyncMessageSchema.parse(message));
}
