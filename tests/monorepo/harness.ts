import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openStorage, type Storage } from '../../src/storage/storage.js';
import { authEnv } from '../http/http-fixture.js';
import { git, gitText, type GitOptions } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';

/** A `mega serve` process on a fresh data directory, with two users' tokens. */
export interface DirectoryServer {
  readonly server: MegaServer;
  readonly dataDir: string;
  readonly work: string;
  /** git options that authenticate as alice or bob (the token in the environment, never in a URL). */
  readonly as: { readonly alice: GitOptions; readonly bob: GitOptions };
  readonly tokens: { readonly alice: string; readonly bob: string };
  /** The environment the server runs with (`MEGA_DATABASE_URL` for a server database). */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

async function token(
  dataDir: string,
  user: string,
  env: Readonly<Record<string, string>>,
  admin = true,
): Promise<string> {
  const args = ['token', 'create', user, ...(admin ? ['--admin'] : []), '--data', dataDir];
  const result = await runMega(args, { env });
  if (result.code !== 0) throw new Error(`token create failed: ${result.stderr}`);
  return result.stdout.trim().split('\n').pop() ?? '';
}

export async function startDirectoryServer(
  options: { env?: Readonly<Record<string, string>>; dataDir?: string } = {},
): Promise<DirectoryServer> {
  const temp = await makeTempDir('mega-monorepo-');
  const dataDir = options.dataDir ?? join(temp.path, 'data');
  const work = join(temp.path, 'work');
  await mkdir(work, { recursive: true });
  const env = { ...options.env };
  const tokens = { alice: await token(dataDir, 'alice', env), bob: await token(dataDir, 'bob', env) };
  const server = await startMegaServer({ dataDir, args: ['--no-worker'], env });
  return {
    server,
    dataDir,
    work,
    as: { alice: { env: authEnv(tokens.alice) }, bob: { env: authEnv(tokens.bob) } },
    tokens,
    env,
    async stop() {
      await server.stop();
      await temp.remove();
    },
  };
}

/**
 * A user without administrator rights (created when missing) and git options that authenticate
 * as them: they read public paths and whatever grants give them.
 */
export async function plainUser(
  mega: DirectoryServer,
  username: string,
): Promise<{ readonly id: number; readonly token: string; readonly as: GitOptions }> {
  const secret = await token(mega.dataDir, username, mega.env, false);
  const storage = await openDirectoryStorage(mega.dataDir, mega.env.MEGA_DATABASE_URL);
  try {
    const user = await storage.users.findUser(username);
    if (!user) throw new Error(`user ${username} was not created`);
    return { id: user.id, token: secret, as: { env: authEnv(secret) } };
  } finally {
    await storage.close();
  }
}

/** The server's storage (its database, SQLite in the data directory by default), for grants and settings. */
export function openDirectoryStorage(dataDir: string, databaseUrl?: string): Promise<Storage> {
  return openStorage({
    databaseUrl: databaseUrl ?? `sqlite:${join(dataDir, 'mega.db')}`,
    dataDir,
    largeObjectThreshold: 1 << 20,
  });
}

/** `git clone` that returns the result instead of throwing. */
export function clone(url: string, dir: string) {
  return git(['clone', '-q', url, dir], { check: false });
}

/** Runs `git fsck --strict` and throws with its output unless clean. */
export async function fsckStrict(dir: string): Promise<void> {
  await git(['fsck', '--strict', '--no-dangling'], { cwd: dir });
}

/** Files of a work tree (sorted, without .git). */
export async function filesOf(dir: string): Promise<string[]> {
  return (await gitText(['ls-files'], { cwd: dir })).split('\n').filter(Boolean).sort();
}

/** A JSON request against the REST API. */
export async function api(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
