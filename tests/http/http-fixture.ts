import { join } from 'node:path';
import type { Role } from '../../src/access/roles.js';
import { loadConfig } from '../../src/platform/config.js';
import { openStorage } from '../../src/storage/storage.js';
import { git, gitText, type GitOptions, type GitResult } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';

/**
 * A running `mega serve` with a user token, and helpers to drive the real git against it.
 * Credentials travel as an `http.extraHeader` set through GIT_CONFIG_* variables, never in a URL
 * or an argument.
 */
export interface HttpFixture {
  /** The running server (replaced by `restart`). */
  readonly server: MegaServer;
  /** Stops the server and starts a fresh process on the same data (e.g. to measure peak RSS). */
  restart(): Promise<void>;
  readonly token: string;
  readonly work: string;
  url(path: string): string;
  /** git with the token (push) at protocol `version`. */
  git(version: number, args: readonly string[], options?: GitOptions): Promise<GitResult>;
  /** git without credentials. */
  anonymous(version: number, args: readonly string[], options?: GitOptions): Promise<GitResult>;
  stop(): Promise<void>;
}

export function authEnv(token: string): Record<string, string> {
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Bearer ${token}`,
  };
}

/**
 * Gives `username` `role` on `path` (src/access grants) in the installation at `dataDir`, through
 * storage as `mega access grant` does; works while a server runs on the same data.
 */
export async function grantRole(
  dataDir: string,
  username: string,
  path: string,
  role: Role,
  env: Record<string, string> = {},
): Promise<void> {
  const storage = await openStorage(loadConfig({ env, overrides: { dataDir } }));
  try {
    const user = await storage.users.findUser(username);
    if (!user) throw new Error(`no user ${username}`);
    await storage.access.setGrant(path, 'user', user.id, role);
  } finally {
    await storage.close();
  }
}

/** Creates `username` when missing and returns a new token of theirs (`mega token create`). */
export async function createToken(
  dataDir: string,
  username: string,
  options: { env?: Record<string, string>; admin?: boolean } = {},
): Promise<string> {
  const created = await runMega(
    ['token', 'create', username, ...(options.admin ? ['--admin'] : []), '--data', dataDir],
    options.env ? { env: options.env } : {},
  );
  if (created.code !== 0) throw new Error(`mega token create failed: ${created.stderr}`);
  return created.stdout.trim().split('\n').pop() ?? '';
}

/**
 * `alice` is not an administrator; she maintains `/` (every path), which is what pushing,
 * force-pushing and deleting branches in these tests needs (tests/http/permissions-git.test.ts
 * is about less).
 */
export async function startHttpFixture(options: { env?: Record<string, string> } = {}): Promise<HttpFixture> {
  const temp = await makeTempDir('mega-http-');
  const dataDir = join(temp.path, 'data');
  const token = await createToken(dataDir, 'alice', options.env ? { env: options.env } : {});
  await grantRole(dataDir, 'alice', '/', 'maintain', options.env);
  const start = () => startMegaServer({ dataDir, ...(options.env ? { env: options.env } : {}) });
  let server = await start();
  const run =
    (version: number, auth: boolean) =>
    (args: readonly string[], opts: GitOptions = {}) =>
      git(['-c', `protocol.version=${version}`, ...args], {
        cwd: opts.cwd ?? temp.path,
        ...opts,
        env: { ...(auth ? authEnv(token) : {}), ...opts.env },
      });
  return {
    get server() {
      return server;
    },
    restart: async () => {
      await server.stop();
      server = await start();
    },
    token,
    work: temp.path,
    url: (path) => `${server.url}${path}`,
    git: (version, args, opts) => run(version, true)(args, opts),
    anonymous: (version, args, opts) => run(version, false)(args, opts),
    stop: async () => {
      await server.stop();
      await temp.remove();
    },
  };
}

/** `git fsck --strict` must be clean (git exits non-zero on any problem). */
export async function fsckStrict(dir: string): Promise<void> {
  await git(['-C', dir, 'fsck', '--strict', '--no-progress']);
}

/** A repository's refs as `name id` lines: two clones with equal lists have the same refs. */
export function refsOf(dir: string): Promise<string> {
  return gitText(['-C', dir, 'for-each-ref', '--format=%(refname) %(objectname)']);
}

/** Refs as `git ls-remote` prints them: name → id. */
export function parseLsRemote(output: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of output.split('\n')) {
    const [id, name] = line.split('\t');
    if (id && name) refs.set(name, id);
  }
  return refs;
}
