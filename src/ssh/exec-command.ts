import { invalid } from '../platform/errors.js';

/**
 * The commands an SSH client may run, parsed strictly from the `exec` request (RFC 4254 §6.5).
 * Nothing is ever handed to a shell: the services run in-process. The parser still refuses
 * anything a shell would read differently from us (metacharacters, a second argument, an
 * option-like or traversing path), so what git asked for and what we serve are the same thing
 * and a hostile command fails early with a message saying why.
 *
 * Accepted, as git and git-lfs send them (git quotes the path with `sq_quote`):
 *   git-upload-pack '<path>'
 *   git-receive-pack '<path>'
 *   git-lfs-authenticate '<path>' upload|download
 *   git-lfs-transfer '<path>' upload|download
 * git-lfs sends its path unquoted (`git-lfs-authenticate import/x.git upload`), so the LFS
 * commands also take a bare path; the path rules below refuse every character a shell would
 * read, so the two spellings cannot mean different things.
 * `<path>` is `/dir/repo.git`, `dir/repo.git` (scp-like `git@host:dir/repo.git`) or `/` (the
 * Mega directory's root), with or without `.git`.
 */
export type GitSshService = 'git-upload-pack' | 'git-receive-pack';

export type ExecCommand =
  | { readonly kind: 'git'; readonly service: GitSshService; readonly repoPath: string }
  | {
      readonly kind: 'lfs-authenticate' | 'lfs-transfer';
      readonly repoPath: string;
      readonly operation: 'upload' | 'download';
    };

/** Longest command line looked at; a real one is a service name and a path. */
export const MAX_EXEC_COMMAND_LENGTH = 4096;
/** Longest repository path (the same bound as smart HTTP's). */
const MAX_PATH_LENGTH = 1024;

const GIT_SERVICES: readonly string[] = ['git-upload-pack', 'git-receive-pack'];
const LFS_COMMANDS: Readonly<Record<string, 'lfs-authenticate' | 'lfs-transfer'>> = {
  'git-lfs-authenticate': 'lfs-authenticate',
  'git-lfs-transfer': 'lfs-transfer',
};

/**
 * Characters refused anywhere in a path: what a shell would interpret (even inside quotes for
 * `'` and `\`), whitespace, and control characters.
 */
const FORBIDDEN_IN_PATH = /[\s\u0000-\u001f\u007f;|&$`<>(){}*?[\]!"'\\#~^]/;

const refuse = (message: string) => invalid('ssh_command_invalid', message);

const USAGE =
  "this server runs git only: git-upload-pack '<path>', git-receive-pack '<path>', git-lfs-authenticate '<path>' upload|download or git-lfs-transfer '<path>' upload|download";

/** Parses an exec request; throws `invalid`/`ssh_command_invalid` with a message for the client. */
export function parseExecCommand(command: string): ExecCommand {
  if (command.length > MAX_EXEC_COMMAND_LENGTH) throw refuse('command too long');
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(command))
    throw refuse('the command contains control characters');
  const space = command.indexOf(' ');
  const name = space < 0 ? command : command.slice(0, space);
  const rest = space < 0 ? '' : command.slice(space + 1);
  if (GIT_SERVICES.includes(name)) {
    const { path, after } = quotedPath(rest);
    if (after !== '') throw refuse(`${name} takes exactly one quoted path`);
    return { kind: 'git', service: name as GitSshService, repoPath: normalizeSshPath(path) };
  }
  const lfs = LFS_COMMANDS[name];
  if (lfs) {
    const { path, after } = rest.startsWith("'") ? quotedPath(rest) : barePath(rest);
    if (after !== 'upload' && after !== 'download')
      throw refuse(`${name} takes a quoted path, then upload or download`);
    return { kind: lfs, repoPath: normalizeSshPath(path), operation: after };
  }
  if (name === '' || /^\s/.test(command)) throw refuse(`no command given: ${USAGE}`);
  throw refuse(`unknown command '${printable(name)}': ${USAGE}`);
}

/** The single-quoted path at the start of `text`, and what follows it after one space. */
function quotedPath(text: string): { path: string; after: string } {
  if (!text.startsWith("'"))
    throw refuse("the path must be in single quotes: git-upload-pack '/dir/repo.git'");
  const close = text.indexOf("'", 1);
  if (close < 0) throw refuse('unterminated quote in the path');
  const path = text.slice(1, close);
  const tail = text.slice(close + 1);
  if (tail !== '' && !tail.startsWith(' ')) throw refuse('unexpected characters after the quoted path');
  return { path, after: tail.slice(1) };
}

/** A path without quotes (git-lfs's form), and what follows it after one space. */
function barePath(text: string): { path: string; after: string } {
  const space = text.indexOf(' ');
  return space < 0 ? { path: text, after: '' } : { path: text.slice(0, space), after: text.slice(space + 1) };
}

/**
 * The canonical repository path of what the client named: a leading `/`, no `.git`, no trailing
 * `/`. Refuses option-like paths, shell metacharacters, `~`, and `.`, `..` or empty segments.
 */
export function normalizeSshPath(raw: string): string {
  if (raw.startsWith('-')) throw refuse('a path may not start with "-"');
  if (raw.length > MAX_PATH_LENGTH) throw refuse('the path is too long');
  if (FORBIDDEN_IN_PATH.test(raw))
    throw refuse('the path contains characters that are not allowed (quotes, spaces, shell characters, ~)');
  let path = raw.startsWith('/') ? raw.slice(1) : raw;
  if (path.endsWith('/')) path = path.slice(0, -1);
  if (path.endsWith('.git')) path = path.slice(0, -'.git'.length);
  if (path === '') return '/';
  const segments = path.split('/');
  for (const segment of segments) {
    if (segment === '') throw refuse('the path has an empty segment (//)');
    if (segment === '.' || segment === '..') throw refuse('the path may not contain "." or ".." segments');
    if (segment.startsWith('-')) throw refuse('a path segment may not start with "-"');
  }
  return `/${segments.join('/')}`;
}

function printable(text: string): string {
  return text.slice(0, 64).replace(/[^\x20-\x7e]/g, '?');
}
