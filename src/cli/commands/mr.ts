import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { invalid } from '../../platform/errors.js';
import { EVERY_PATH } from '../../repo/served-repository.js';
import { OPERATOR } from '../../review/merge-gates.js';
import type { MergeRequestDetail, MergeRequests } from '../../review/merge-requests.js';
import type { MergeRequestRecord, MergeRequestStatus } from '../../storage/monorepo/merge-request-store.js';
import { buildDomainServices, openAppStorage } from '../app.js';
import { serverOrLocalOptions } from '../remote/backend-options.js';
import { ServerClient } from '../remote/server-client.js';
import { formatDetail, mergeRequestLine } from './mr-format.js';

interface MrOptions {
  data?: string;
  config?: string;
  server?: string;
  as?: string;
  json?: boolean;
  status?: string;
  path?: string;
  author?: string;
  file?: string;
  line?: string;
  side?: string;
}

const STATUSES: readonly MergeRequestStatus[] = ['open', 'merging', 'merged', 'closed'];
const LIST_LIMIT = 100;

type Action = 'merge' | 'close' | 'reopen' | 'update' | 'approve' | 'unapprove';

interface ListFilter {
  readonly status?: MergeRequestStatus;
  readonly path?: string;
  readonly author?: string;
}

/** Where `mega mr` acts: the local data directory (operator) or a server's REST API (a user). */
interface MrBackend {
  list(filter: ListFilter): Promise<MergeRequestRecord[]>;
  show(number: number): Promise<MergeRequestDetail>;
  act(action: Action, number: number): Promise<unknown>;
  comment(number: number, body: Record<string, unknown>): Promise<unknown>;
  mergeStatus(number: number): Promise<unknown>;
}

/**
 * The data directory, as its operator: sees everything and bypasses the permission gates; only
 * what needs no user of its own (list, show, merge, close, reopen, update) is offered.
 */
function localBackend(requests: MergeRequests, as: string): MrBackend {
  const actor = { username: as, authority: OPERATOR };
  const remoteOnly = (what: string) =>
    invalid('argument_invalid', `${what} is done as a user: give --server URL (and a token)`);
  return {
    list: (filter) => requests.list({ ...filter, limit: LIST_LIMIT, offset: 0 }, EVERY_PATH),
    show: (number) => requests.show(number, EVERY_PATH),
    act: async (action, number) => {
      if (action === 'approve' || action === 'unapprove') throw remoteOnly(`${action}ing`);
      if (action === 'update') return requests.updateFromTarget(number, actor);
      return requests[action](number, actor);
    },
    comment: () => Promise.reject(remoteOnly('commenting')),
    mergeStatus: () => Promise.reject(remoteOnly('the merge status of a user')),
  };
}

/** A server's REST API, as the user whose token `ServerClient` found. */
function remoteBackend(client: ServerClient): MrBackend {
  const base = '/api/v1/merge-requests';
  return {
    list: async (filter) =>
      (
        await client.get<{ items: MergeRequestRecord[] }>(base, {
          ...filter,
          limit: LIST_LIMIT,
        })
      ).items,
    show: (number) => client.get<MergeRequestDetail>(`${base}/${number}`),
    act: (action, number) => client.post(`${base}/${number}/${action}`),
    comment: (number, body) => client.post(`${base}/${number}/discussions`, body),
    mergeStatus: (number) => client.get(`${base}/${number}/merge-status`),
  };
}

async function withBackend<T>(options: MrOptions, work: (backend: MrBackend) => Promise<T>): Promise<T> {
  if (options.server) return work(remoteBackend(await ServerClient.connect(options.server)));
  const config = loadConfig({ configFile: options.config, overrides: { dataDir: options.data } });
  const storage = await openAppStorage(config);
  const review = buildDomainServices(storage, config).review;
  try {
    return await work(localBackend(review.mergeRequests, options.as ?? process.env.USER ?? 'admin'));
  } finally {
    // What a merge or close set off (mergeability of other requests, webhook deliveries queued
    // in the database) finishes before the database closes.
    await review.events.settled();
    await storage.close();
  }
}

function parseNumber(text: string): number {
  const value = Number(text.replace(/^!/, ''));
  if (!Number.isSafeInteger(value) || value < 1)
    throw invalid('merge_request_number_invalid', `not a merge request number: ${text}`);
  return value;
}

function print(value: unknown, json: boolean | undefined, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

/** `--file REPO:PATH --line N [--side old|new]` → the position of a line comment. */
function positionOf(options: MrOptions): Record<string, unknown> | undefined {
  if (!options.file && !options.line) return undefined;
  const match = /^(\/[^:]+):(.+)$/.exec(options.file ?? '');
  const line = Number(options.line);
  if (!match || !Number.isSafeInteger(line) || line < 1)
    throw invalid('argument_invalid', 'a line comment needs --file /repo/path:file/path and --line N');
  const side = options.side ?? 'new';
  if (side !== 'old' && side !== 'new') throw invalid('argument_invalid', '--side is old or new');
  return { repoPath: match[1], path: match[2], side, line };
}

const DONE: Record<Action, string> = {
  merge: 'merged',
  close: 'closed',
  reopen: 'reopened',
  update: 'updated onto its targets',
  approve: 'approved',
  unapprove: 'approval withdrawn',
};

/**
 * `mega mr list|show|merge|close|reopen|update|approve|unapprove|comment|status`. With
 * `--server URL` it acts through that server's REST API as the user of the token (`MEGA_TOKEN`,
 * else git's credential helper for that server), under every permission and merge gate. Without
 * it, it works on the local data directory as its operator: sees every merge request and
 * bypasses the permission gates (`--as` only names who is recorded in the history).
 */
export function registerMrCommand(program: Command): void {
  const mr = program
    .command('mr')
    .description('merge requests: on a server (--server URL) or on the local data directory (operator)');
  const common = serverOrLocalOptions;
  common(mr.command('list').description('list merge requests'))
    .option('--status <status>', `only this status (${STATUSES.join(', ')})`)
    .option('--path <path>', 'only those touching this repository or pushed to this path')
    .option('--author <user>', 'only those opened by this user')
    .action(async (options: MrOptions) => {
      if (options.status && !STATUSES.includes(options.status as MergeRequestStatus)) {
        throw invalid('merge_request_status_invalid', `unknown status ${options.status}`);
      }
      await withBackend(options, async (backend) => {
        const list = await backend.list({
          ...(options.status ? { status: options.status as MergeRequestStatus } : {}),
          ...(options.path ? { path: options.path } : {}),
          ...(options.author ? { author: options.author } : {}),
        });
        print(list, options.json, () => list.map(mergeRequestLine).join('\n') || 'no merge requests');
      });
    });
  common(mr.command('show <number>').description('show a merge request with its diff hunks')).action(
    async (number: string, options: MrOptions) => {
      await withBackend(options, async (backend) => {
        const detail = await backend.show(parseNumber(number));
        print(detail, options.json, () => formatDetail(detail));
      });
    },
  );
  const act = (name: Action, description: string) =>
    common(mr.command(`${name} <number>`).description(description))
      .option('--as <user>', 'without --server: who is recorded in the history', process.env.USER ?? 'admin')
      .action(async (number: string, options: MrOptions) => {
        await withBackend(options, async (backend) => {
          const result = await backend.act(name, parseNumber(number));
          print(result, options.json, () => `!${parseNumber(number)} ${DONE[name]}`);
        });
      });
  act('merge', 'merge into every repository it touches, atomically');
  act('close', 'close without merging');
  act('reopen', 'reopen a closed merge request');
  act('update', 'rebase the proposal onto the moved targets (keeps its author)');
  act('approve', 'approve (with --server)');
  act('unapprove', 'withdraw your approval (with --server)');
  common(
    mr.command('comment <number> <text>').description('comment, or comment on a diff line (with --server)'),
  )
    .option('--file <repo:path>', 'the file of a line comment, e.g. /projects/foo:src/main.c')
    .option('--line <n>', 'its line number')
    .option('--side <side>', 'old or new (default new)')
    .action(async (number: string, text: string, options: MrOptions) => {
      const position = positionOf(options);
      await withBackend(options, async (backend) => {
        const result = await backend.comment(parseNumber(number), {
          body: text,
          ...(position ? { position } : {}),
        });
        print(result, options.json, () => `commented on !${parseNumber(number)}`);
      });
    });
  common(
    mr
      .command('status <number>')
      .description('whether you may merge it now, and every reason why not (with --server)'),
  ).action(async (number: string, options: MrOptions) => {
    await withBackend(options, async (backend) => {
      const status = (await backend.mergeStatus(parseNumber(number))) as {
        canMerge?: boolean;
        blockers?: Array<{ code?: string; message?: string }>;
      };
      print(status, options.json, () =>
        [
          status.canMerge ? 'can merge' : 'cannot merge',
          ...(status.blockers ?? []).map((blocker) => `  ${blocker.code ?? ''}\t${blocker.message ?? ''}`),
        ].join('\n'),
      );
    });
  });
}
