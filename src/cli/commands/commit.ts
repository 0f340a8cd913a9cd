import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig, publicBaseUrl } from '../../platform/config.js';
import { invalid } from '../../platform/errors.js';
import { ServerClient } from '../remote/server-client.js';

interface CommitOptions {
  server?: string;
  config?: string;
  path: string;
  base?: string;
  branch?: string;
  message: string;
  title?: string;
  description?: string;
  authorName?: string;
  authorEmail?: string;
  create: string[];
  update: string[];
  delete: string[];
  move: string[];
  chmod: string[];
  json?: boolean;
}

/** One action of the commits API's body (`docs/commits-api.md`). */
export interface ActionBody {
  readonly action: 'create' | 'update' | 'delete' | 'move' | 'chmod';
  readonly filePath: string;
  readonly previousPath?: string;
  readonly content?: string;
  readonly encoding?: 'text' | 'base64';
  readonly executeFilemode?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * `mega commit`: file actions committed through a running server's commits API (issue 22), for
 * a path too large to clone or a quick edit without one. The token comes from `MEGA_TOKEN` or
 * git's credential helper (`ServerClient`), never from the command line.
 */
export function registerCommitCommand(program: Command): void {
  program
    .command('commit')
    .description(
      'commit file changes to a path through the server (a merge request under /projects, the branch under /import)',
    )
    .requiredOption(
      '--path <path>',
      'the path edited, as a clone of it: /projects/foo, /projects, /import/bar',
    )
    .requiredOption('-m, --message <text>', 'commit message')
    .option('--server <url>', 'server URL (default: the configured public URL)')
    .option('--config <file>', 'JSON config file (for the default server URL)')
    .option('--base <commit>', 'the commit the change is based on (default: the head of --path now)')
    .option('--branch <name>', '/import: the branch to move; /projects: the merge request branch')
    .option('--title <text>', 'merge request title')
    .option('--description <text>', 'merge request description')
    .option('--author-name <name>', 'author name (default: your user)')
    .option('--author-email <email>', 'author email')
    .option('--create <file=local>', 'create file from a local file (repeatable)', collect, [])
    .option('--update <file=local>', 'replace file with a local file (repeatable)', collect, [])
    .option('--delete <file>', 'delete file (repeatable)', collect, [])
    .option('--move <old:new>', 'move a file (repeatable)', collect, [])
    .option('--chmod <+x:file>', 'set (+x) or clear (-x) the executable bit (repeatable)', collect, [])
    .option('--json', 'print the JSON answer')
    .action(async (options: CommitOptions) => {
      const client = await ServerClient.connect(serverUrl(options));
      const actions = await actionsOf(options);
      const base = options.base ?? (await currentHead(client, options.path, options.branch));
      const answer = await client.post<Record<string, unknown>>('/api/v1/commits', {
        path: options.path,
        base,
        message: options.message,
        actions,
        ...(options.branch ? { branch: options.branch } : {}),
        ...(options.title !== undefined ? { title: options.title } : {}),
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(options.authorName || options.authorEmail
          ? { author: { name: options.authorName ?? '', email: options.authorEmail ?? '' } }
          : {}),
      });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
        return;
      }
      const mr = answer.mergeRequest as { number: number; url: string } | undefined;
      process.stdout.write(
        mr
          ? `merge request !${mr.number}: ${mr.url}\ncommit ${String(answer.commit)}\n`
          : `${String(answer.branch)} is now ${String(answer.commit)}\n`,
      );
    });
}

/** `--server`, else the configured public URL, else the configured listen address. */
function serverUrl(options: CommitOptions): string {
  if (options.server) return options.server.replace(/\/+$/, '');
  const config = loadConfig({ configFile: options.config });
  return publicBaseUrl(config.publicUrl, `http://${config.host}:${config.port}`);
}

/** The actions from the flags; local files become text, or base64 when not UTF-8. */
export async function actionsOf(
  options: Pick<CommitOptions, 'create' | 'update' | 'delete' | 'move' | 'chmod'>,
  read: (path: string) => Promise<Buffer> = (path) => readFile(path),
): Promise<ActionBody[]> {
  const actions: ActionBody[] = [];
  const withContent = async (action: 'create' | 'update', spec: string) => {
    const [file, local] = split(spec, '=', `--${action} ${spec}: expected <file>=<local file>`);
    actions.push({ action, filePath: file, ...encoded(await read(local)) });
  };
  for (const spec of options.create) await withContent('create', spec);
  for (const spec of options.update) await withContent('update', spec);
  for (const file of options.delete) actions.push({ action: 'delete', filePath: file });
  for (const spec of options.move) {
    const [from, to] = split(spec, ':', `--move ${spec}: expected <old path>:<new path>`);
    actions.push({ action: 'move', previousPath: from, filePath: to });
  }
  for (const spec of options.chmod) {
    const [mode, file] = split(spec, ':', `--chmod ${spec}: expected +x:<file> or -x:<file>`);
    if (mode !== '+x' && mode !== '-x')
      throw invalid('argument_invalid', `--chmod ${spec}: the mode is +x or -x`);
    actions.push({ action: 'chmod', filePath: file, executeFilemode: mode === '+x' });
  }
  if (actions.length === 0)
    throw invalid(
      'argument_invalid',
      'nothing to commit: give --create, --update, --delete, --move or --chmod',
    );
  return actions;
}

function split(spec: string, separator: string, usage: string): [string, string] {
  const at = spec.indexOf(separator);
  if (at <= 0 || at === spec.length - 1) throw invalid('argument_invalid', usage);
  return [spec.slice(0, at), spec.slice(at + 1)];
}

/** UTF-8 text as is; other bytes in base64 (the server decides whether they are text). */
function encoded(content: Buffer): Pick<ActionBody, 'content' | 'encoding'> {
  const text = content.toString('utf8');
  return Buffer.from(text, 'utf8').equals(content)
    ? { content: text }
    : { content: content.toString('base64'), encoding: 'base64' };
}

async function currentHead(client: ServerClient, path: string, branch?: string) {
  const answer = await client.get<Record<string, unknown>>('/api/v1/commits/head', { path, branch });
  if (typeof answer.head !== 'string')
    throw invalid('argument_invalid', `${path} has no head to base a commit on`);
  return answer.head;
}
