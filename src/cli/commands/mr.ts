import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { invalid } from '../../platform/errors.js';
import { EVERY_PATH } from '../../repo/served-repository.js';
import { OPERATOR } from '../../review/merge-gates.js';
import type { MergeRequests } from '../../review/merge-requests.js';
import type { MergeRequestRecord, MergeRequestStatus } from '../../storage/monorepo/merge-request-store.js';
import { buildDomainServices, openAppStorage } from '../app.js';

interface MrOptions {
  data?: string;
  config?: string;
  as?: string;
  json?: boolean;
  status?: string;
  path?: string;
  author?: string;
}

const STATUSES: readonly MergeRequestStatus[] = ['open', 'merging', 'merged', 'closed'];
const LIST_LIMIT = 100;

/** Runs `work` with the merge requests of the configured data directory. */
async function withMergeRequests<T>(
  options: MrOptions,
  work: (requests: MergeRequests) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ configFile: options.config, overrides: { dataDir: options.data } });
  const storage = await openAppStorage(config);
  try {
    return await work(buildDomainServices(storage, config).review.mergeRequests);
  } finally {
    await storage.close();
  }
}

function parseNumber(text: string): number {
  const value = Number(text.replace(/^!/, ''));
  if (!Number.isSafeInteger(value) || value < 1)
    throw invalid('merge_request_number_invalid', `not a merge request number: ${text}`);
  return value;
}

function line(record: MergeRequestRecord): string {
  const repos = record.changes.map((change) => change.repoPath).join(', ');
  return `!${record.number}\t${record.status}\t${record.author}\t${record.title}\t${repos}`;
}

function print(value: unknown, json: boolean | undefined, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

/**
 * `mega mr list|show|merge|close|reopen`: merge requests of the Mega directory, on the local data
 * directory. An operator's command: whoever runs it holds the data directory, so it sees every
 * merge request and bypasses the permission gates (maintain role, self-merge); `--as` only names
 * who is recorded in the history. Users merge through the REST API, where the gates apply.
 */
export function registerMrCommand(program: Command): void {
  const mr = program
    .command('mr')
    .description('merge requests of the Mega directory (operator: sees all, bypasses permissions)');
  const common = (command: Command) =>
    command
      .option('--data <dir>', 'data directory (default ./data)')
      .option('--config <file>', 'JSON config file')
      .option('--json', 'print JSON');
  common(mr.command('list').description('list merge requests'))
    .option('--status <status>', `only this status (${STATUSES.join(', ')})`)
    .option('--path <path>', 'only those touching this repository or pushed to this path')
    .option('--author <user>', 'only those opened by this user')
    .action(async (options: MrOptions) => {
      if (options.status && !STATUSES.includes(options.status as MergeRequestStatus)) {
        throw invalid('merge_request_status_invalid', `unknown status ${options.status}`);
      }
      await withMergeRequests(options, async (requests) => {
        const list = await requests.list(
          {
            ...(options.status ? { status: options.status as MergeRequestStatus } : {}),
            ...(options.path ? { path: options.path } : {}),
            ...(options.author ? { author: options.author } : {}),
            limit: LIST_LIMIT,
            offset: 0,
          },
          EVERY_PATH,
        );
        print(list, options.json, () => list.map(line).join('\n') || 'no merge requests');
      });
    });
  common(mr.command('show <number>').description('show a merge request with its diff')).action(
    async (number: string, options: MrOptions) => {
      await withMergeRequests(options, async (requests) => {
        const detail = await requests.show(parseNumber(number), EVERY_PATH);
        print(detail, options.json, () => {
          const files = detail.diffs.flatMap((item) =>
            item.diff.files.map(
              (file) =>
                `  ${file.status}\t${item.repoPath}/${file.path}\t+${file.additions} -${file.deletions}`,
            ),
          );
          const events = detail.events.map((event) => `  ${event.at}\t${event.action}\t${event.actor}`);
          return [line(detail), detail.url, 'files:', ...files, 'history:', ...events].join('\n');
        });
      });
    },
  );
  const act = (name: 'merge' | 'close' | 'reopen', description: string) =>
    common(mr.command(`${name} <number>`).description(description))
      .option(
        '--as <user>',
        'who is recorded in the history (permissions are not checked)',
        process.env.USER ?? 'admin',
      )
      .action(async (number: string, options: MrOptions) => {
        await withMergeRequests(options, async (requests) => {
          const actor = { username: options.as ?? 'admin', authority: OPERATOR };
          const result = await requests[name](parseNumber(number), actor);
          print(
            result,
            options.json,
            () =>
              `!${result.number} ${name === 'merge' ? 'merged' : name === 'close' ? 'closed' : 'reopened'}`,
          );
        });
      });
  act('merge', 'merge into every repository it touches, atomically');
  act('close', 'close without merging');
  act('reopen', 'reopen a closed merge request');
}
