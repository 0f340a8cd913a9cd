import { Option, type Command } from 'commander';
import { Permissions } from '../../access/permissions.js';
import { loadConfig } from '../../platform/config.js';
import { invalid } from '../../platform/errors.js';
import type {
  DeliveryDetail,
  DeliveryView,
  NewWebhookInput,
  WebhookView,
  Webhooks,
} from '../../review/webhooks.js';
import { buildDomainServices, openAppStorage, openInstallation } from '../app.js';
import { serverOrLocalOptions } from '../remote/backend-options.js';
import { ServerClient } from '../remote/server-client.js';
import { deliveryLine, webhookLine } from './webhook-format.js';

interface WebhookOptions {
  data?: string;
  config?: string;
  server?: string;
  as?: string;
  json?: boolean;
  path?: string;
  events?: string;
  inactive?: boolean;
  secretStdin?: boolean;
  secret?: string;
  limit?: string;
}

/** The variable `mega webhook add` reads the secret from (else stdin with --secret-stdin). */
export const SECRET_VARIABLE = 'MEGA_WEBHOOK_SECRET';
/** Deliveries `mega webhook deliveries` prints by default, and at most (the REST list's bounds). */
const DEFAULT_DELIVERIES = 30;
const MAX_DELIVERIES = 100;
/** Longest stdin read for a secret: far above the 256 characters a secret may have. */
const MAX_SECRET_INPUT = 64 * 1024;

/** Where `mega webhook` acts: the local data directory (operator) or a server's REST API (a user). */
interface WebhookBackend {
  list(path: string | undefined): Promise<WebhookView[]>;
  add(input: NewWebhookInput): Promise<WebhookView>;
  remove(id: number): Promise<void>;
  /** The newest `limit` deliveries. */
  deliveries(id: number, limit: number): Promise<DeliveryView[]>;
  redeliver(id: number, delivery: number): Promise<DeliveryDetail>;
}

/** The data directory's operator: an administrator of every path, recorded as `as`. */
function localBackend(webhooks: Webhooks, as: string): WebhookBackend {
  const authority = new Permissions(
    { kind: 'user', userId: 0, username: as, isAdmin: true, scopes: ['read', 'write', 'admin'] },
    [],
    [],
    'private',
  );
  return {
    list: (path) => webhooks.list(authority, path),
    add: (input) => webhooks.create(input, { username: as, authority }),
    remove: (id) => webhooks.delete(id, authority),
    deliveries: (id, limit) => webhooks.deliveries(id, authority, { limit, offset: 0 }),
    redeliver: (id, delivery) => webhooks.redeliver(id, delivery, authority),
  };
}

/** A server's REST API, as the user whose token `ServerClient` found (admin on the paths). */
function remoteBackend(client: ServerClient): WebhookBackend {
  const base = '/api/v1/webhooks';
  return {
    list: async (path) => (await client.get<{ items: WebhookView[] }>(base, { path })).items,
    add: (input) => client.post<WebhookView>(base, input),
    remove: async (id) => {
      await client.request('DELETE', `${base}/${id}`);
    },
    deliveries: async (id, limit) =>
      (await client.get<{ items: DeliveryView[] }>(`${base}/${id}/deliveries`, { limit })).items,
    redeliver: (id, delivery) =>
      client.post<DeliveryDetail>(`${base}/${id}/deliveries/${delivery}/redeliver`),
  };
}

/**
 * Runs `work` on the chosen backend. Locally, `withSecret` opens the installation's deployment
 * secret (creating a webhook seals its secret with it); nothing else needs it.
 */
async function withBackend<T>(
  options: WebhookOptions,
  work: (backend: WebhookBackend) => Promise<T>,
  withSecret = false,
): Promise<T> {
  if (options.server) return work(remoteBackend(await ServerClient.connect(options.server)));
  const config = loadConfig({ configFile: options.config, overrides: { dataDir: options.data } });
  const storage = await openAppStorage(config);
  try {
    const secret = withSecret ? (await openInstallation(storage, config)).secret : undefined;
    const review = buildDomainServices(storage, config, secret).review;
    return await work(localBackend(review.webhooks, options.as ?? process.env.USER ?? 'admin'));
  } finally {
    await storage.close();
  }
}

function parseId(text: string, what: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1)
    throw invalid('argument_invalid', `${what} must be a positive whole number`, {
      value: text.slice(0, 40),
    });
  return value;
}

/**
 * The secret of `add`: from MEGA_WEBHOOK_SECRET, or stdin with `--secret-stdin` (one trailing
 * newline dropped). Never from an argument: process arguments are visible to every user of the
 * machine (`ps`, /proc) and stay in shell history.
 */
export async function secretOf(
  options: Pick<WebhookOptions, 'secret' | 'secretStdin'>,
  env: NodeJS.ProcessEnv = process.env,
  stdin: AsyncIterable<Buffer | string> = process.stdin,
): Promise<string> {
  if (options.secret !== undefined) {
    throw invalid(
      'argument_invalid',
      `a secret is never taken from the command line (other users of this machine can read process arguments): set ${SECRET_VARIABLE} or pipe it with --secret-stdin`,
    );
  }
  if (options.secretStdin) {
    let text = '';
    for await (const chunk of stdin) {
      text += chunk.toString();
      if (text.length > MAX_SECRET_INPUT)
        throw invalid('argument_invalid', 'the secret on stdin is too long');
    }
    return text.replace(/\r?\n$/, '');
  }
  const fromEnv = env[SECRET_VARIABLE];
  if (fromEnv) return fromEnv;
  throw invalid(
    'argument_invalid',
    `give the webhook secret in ${SECRET_VARIABLE}, or on stdin with --secret-stdin`,
  );
}

function print(value: unknown, json: boolean | undefined, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

/**
 * `mega webhook list|add|remove|deliveries|redeliver`. With `--server URL` it acts through that
 * server's REST API as the user of the token (`MEGA_TOKEN`, else git's credential helper), who
 * needs `admin` on a webhook's path. Without it, it works on the local data directory as its
 * operator (every webhook; `--as` names who is recorded as the creator).
 */
export function registerWebhookCommand(program: Command): void {
  const webhook = program
    .command('webhook')
    .description('webhooks: on a server (--server URL) or on the local data directory (operator)');
  const common = serverOrLocalOptions;
  common(webhook.command('list').description('list webhooks (on --server: those you administer)'))
    .option('--path <path>', 'only those watching exactly this path')
    .action(async (options: WebhookOptions) => {
      const hooks = await withBackend(options, (backend) => backend.list(options.path));
      print(hooks, options.json, () => hooks.map(webhookLine).join('\n') || 'no webhooks');
    });
  common(
    webhook
      .command('add <path> <url>')
      .description(`add a webhook; its secret comes from ${SECRET_VARIABLE} or stdin (--secret-stdin)`),
  )
    .option('--events <events>', 'comma-separated: push, merge_request, comment, approval, status', 'push')
    .option('--inactive', 'create it inactive (it gets nothing until activated)')
    .option('--secret-stdin', 'read the secret from stdin (one trailing newline is dropped)')
    .option('--as <user>', 'without --server: who is recorded as its creator')
    // Declared only to refuse it with the reason (and without echoing the value).
    .addOption(new Option('--secret <secret>').hideHelp())
    .action(async (path: string, url: string, options: WebhookOptions) => {
      const secret = await secretOf(options);
      const events = (options.events ?? '').split(',').map((event) => event.trim());
      const hook = await withBackend(
        options,
        (backend) => backend.add({ path, url, secret, events, active: !options.inactive }),
        true,
      );
      print(
        hook,
        options.json,
        () =>
          `mega: webhook ${hook.id} on ${hook.path} posts ${hook.events.join(', ')} events to ${hook.url}` +
          (hook.active ? '; a ping delivery is queued' : ' (inactive)'),
      );
    });
  common(webhook.command('remove <id>').description('delete a webhook and its delivery log')).action(
    async (id: string, options: WebhookOptions) => {
      const number = parseId(id, 'the webhook id');
      await withBackend(options, (backend) => backend.remove(number));
      print({ removed: number }, options.json, () => `mega: removed webhook ${number}`);
    },
  );
  common(webhook.command('deliveries <id>').description('the delivery log of a webhook, newest first'))
    .option('--limit <n>', `how many of the newest (at most ${MAX_DELIVERIES})`, String(DEFAULT_DELIVERIES))
    .action(async (id: string, options: WebhookOptions) => {
      const number = parseId(id, 'the webhook id');
      const limit = parseId(options.limit ?? String(DEFAULT_DELIVERIES), '--limit');
      if (limit > MAX_DELIVERIES) throw invalid('argument_invalid', `--limit is at most ${MAX_DELIVERIES}`);
      const deliveries = await withBackend(options, (backend) => backend.deliveries(number, limit));
      print(deliveries, options.json, () => deliveries.map(deliveryLine).join('\n') || 'no deliveries');
    });
  common(
    webhook
      .command('redeliver <id> <delivery>')
      .description('send a delivery again (a new delivery with the same payload)'),
  ).action(async (id: string, delivery: string, options: WebhookOptions) => {
    const hook = parseId(id, 'the webhook id');
    const original = parseId(delivery, 'the delivery id');
    const queued = await withBackend(options, (backend) => backend.redeliver(hook, original));
    print(
      queued,
      options.json,
      () => `mega: queued delivery ${queued.id} of webhook ${hook}, a copy of delivery ${original}`,
    );
  });
}
