import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Storage } from '../../../src/storage/storage.js';
import { git } from '../../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../../support/mega-process.js';
import {
  createScratchDatabase,
  scratchStorage,
  type DialectName,
  type ScratchDatabase,
} from '../../support/scratch-database.js';
import { makeTempDir } from '../../support/temp-dir.js';
import { CALLERS, callerGitEnv, SIGNED_IN, type Caller, type SignedInCaller } from './callers.js';
import { seedCommits, type SeedCommit } from './seed-commits.js';

/**
 * The paths of the matrix: a private and a public import, two public projects (self-merge
 * allowed in /projects/lib only) and a private one.
 */
export const PATHS = {
  secret: '/import/secret',
  open: '/import/open',
  app: '/projects/app',
  lib: '/projects/lib',
  vault: '/projects/vault',
} as const;

/** Branches of `/import/secret` matching this pattern are protected (moving them takes maintain). */
export const PROTECTED_PATTERN = 'release/*';

/** Merge requests opened while setting up, by the caller meant to merge them. */
export interface SetUpMergeRequests {
  /** Opened by someone else (the writer; the maintainer for the writer's own cell). */
  readonly others: Readonly<Record<Caller, number>>;
  /** Opened by the caller itself (those who may push to /projects/app). */
  readonly own: Readonly<Partial<Record<Caller, number>>>;
  /** Opened by the caller itself in /projects/lib, where authors may merge their own. */
  readonly ownWhereAllowed: Readonly<Partial<Record<Caller, number>>>;
}

/** An LFS object: its content, oid and the pointer file naming it. */
export interface LfsObject {
  readonly content: string;
  readonly oid: string;
  readonly size: number;
  readonly pointer: string;
}

export function lfsObject(content: string): LfsObject {
  const oid = createHash('sha256').update(content).digest('hex');
  const size = Buffer.byteLength(content);
  return {
    content,
    oid,
    size,
    pointer: `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`,
  };
}

/** Stores `object` in a local repository's LFS cache, where `git lfs push --object-id` reads it. */
export async function putLfsObject(repoDir: string, object: LfsObject): Promise<void> {
  const dir = join(repoDir, '.git', 'lfs', 'objects', object.oid.slice(0, 2), object.oid.slice(2, 4));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, object.oid), object.content);
}

/**
 * One `mega serve` on a scratch database with the matrix's users, groups, grants, path settings,
 * repositories and merge requests. Cells never share a branch, a merge request or an LFS object,
 * so they can run in any order against one server.
 */
export interface AccessWorld {
  readonly dialect: DialectName;
  readonly server: MegaServer;
  readonly url: string;
  /** A local repository holding every seed commit (`refs/seed/…`); pushes run from here. */
  readonly seed: string;
  readonly commits: ReadonlyMap<string, string>;
  readonly tokens: Readonly<Record<SignedInCaller, string>>;
  readonly env: Readonly<Record<Caller, Record<string, string>>>;
  readonly mergeRequests: SetUpMergeRequests;
  /** Uploaded to /import/secret by the admin: what the download cells fetch. */
  readonly lfsDownload: LfsObject;
  /** A new directory for one cell. */
  freshDir(label: string): string;
  stop(): Promise<void>;
}

const MR_LINE = /remote: merge request !(\d+)/;
const CALLER_USERS: Readonly<Record<SignedInCaller, string>> = {
  other: 'olga',
  reader: 'rita',
  writer: 'will',
  maintainer: 'mia',
  admin: 'ada',
};

/** The user name behind a caller (as merge request authors and grants name them). */
export const userOf = (caller: SignedInCaller): string => CALLER_USERS[caller];

async function createToken(dataDir: string, env: Record<string, string>, caller: SignedInCaller) {
  const args = ['token', 'create', userOf(caller), '--data', dataDir];
  const created = await runMega(caller === 'admin' ? [...args, '--admin'] : args, { env });
  if (created.code !== 0) throw new Error(`mega token create ${caller} failed: ${created.stderr}`);
  return created.stdout.trim().split('\n').pop() ?? '';
}

/**
 * Who may do what: the `core` team reads /import and /projects (private paths included), the
 * writer and maintainer hold their roles there too (on one path the strongest grant wins), the
 * `outsiders` team's member holds write elsewhere only.
 */
async function grantAccess(storage: Storage): Promise<void> {
  const access = storage.access;
  const userId = async (caller: SignedInCaller) => {
    const user = await storage.users.findUser(userOf(caller));
    if (!user) throw new Error(`no user ${userOf(caller)}`);
    return user.id;
  };
  const core = await access.createGroup('core');
  for (const caller of ['reader', 'writer', 'maintainer'] as const) {
    await access.addMember(core.id, await userId(caller));
  }
  const outsiders = await access.createGroup('outsiders');
  await access.addMember(outsiders.id, await userId('other'));
  for (const path of ['/import', '/projects']) {
    await access.setGrant(path, 'group', core.id, 'read');
    await access.setGrant(path, 'user', await userId('writer'), 'write');
    await access.setGrant(path, 'user', await userId('maintainer'), 'maintain');
  }
  await access.setGrant('/import/elsewhere', 'group', outsiders.id, 'write');
  await access.setGrant('/projects/elsewhere', 'group', outsiders.id, 'maintain');
  await access.setPathSetting(PATHS.secret, { visibility: 'private' });
  await access.setPathSetting(PATHS.vault, { visibility: 'private' });
  await access.setPathSetting(PATHS.open, { visibility: 'public' });
  await access.setPathSetting(PATHS.app, { visibility: 'public' });
  await access.setPathSetting(PATHS.lib, { visibility: 'public', selfMerge: true });
  await access.protectBranches(PATHS.secret, PROTECTED_PATTERN);
}

/** The branches each caller's cells work on, in both imported repositories. */
function callerRefspecs(caller: Caller, commits: ReadonlyMap<string, string>): string[] {
  const base = commits.get('refs/heads/main') ?? '';
  const ahead = commits.get('refs/seed/ahead') ?? '';
  return [
    `${base}:refs/heads/work/${caller}`,
    `${ahead}:refs/heads/force/${caller}`,
    `${base}:refs/heads/gone/${caller}`,
    `${base}:refs/heads/release/${caller}`,
  ];
}

async function pushAs(
  world: { seed: string; url: string; env: Record<Caller, Record<string, string>> },
  caller: Caller,
  path: string,
  refspecs: readonly string[],
): Promise<string> {
  const pushed = await git(['push', `${world.url}${path}`, ...refspecs], {
    cwd: world.seed,
    env: world.env[caller],
    check: false,
  });
  if (pushed.code !== 0) throw new Error(`setup push to ${path} as ${caller} failed: ${pushed.stderr}`);
  return pushed.stderr;
}

async function openMergeRequest(
  world: { seed: string; url: string; env: Record<Caller, Record<string, string>> },
  author: Caller,
  ref: string,
  branch: string,
  path: string = PATHS.app,
): Promise<number> {
  const stderr = await pushAs(world, author, path, [`${ref}:refs/heads/${branch}`]);
  const number = MR_LINE.exec(stderr)?.[1];
  if (!number) throw new Error(`no merge request opened by ${author}'s push: ${stderr}`);
  return Number(number);
}

export async function startAccessWorld(dialect: DialectName): Promise<AccessWorld> {
  const temp = await makeTempDir(`mega-access-${dialect}-`);
  let scratch: ScratchDatabase | undefined;
  let server: MegaServer | undefined;
  try {
    scratch = await createScratchDatabase(dialect);
    const dataDir = join(temp.path, 'data');
    const megaEnv = { MEGA_DATABASE_URL: scratch.url, MEGA_SECRET_KEY: randomBytes(32).toString('hex') };
    const tokens = {} as Record<SignedInCaller, string>;
    for (const caller of SIGNED_IN) tokens[caller] = await createToken(dataDir, megaEnv, caller);
    server = await startMegaServer({ dataDir, args: ['--no-worker'], env: megaEnv });
    await grantAccess(scratchStorage(scratch, 1024 * 1024));

    const env = {} as Record<Caller, Record<string, string>>;
    for (const caller of CALLERS) {
      env[caller] = await callerGitEnv(
        temp.path,
        caller,
        caller === 'anonymous' ? undefined : tokens[caller],
      );
    }
    const seed = join(temp.path, 'seed');
    await git(['init', '-q', '-b', 'main', seed]);
    const base: SeedCommit[] = [
      { ref: 'refs/heads/main', message: 'seed\n', files: { 'README.md': '# seed\n' } },
      {
        ref: 'refs/seed/ahead',
        parent: 'refs/heads/main',
        message: 'ahead\n',
        files: { 'ahead.txt': '1\n' },
      },
      { ref: 'refs/seed/vault', message: 'vault\n', files: { 'vault.txt': 'classified\n' } },
      ...CALLERS.map((caller) => ({
        ref: `refs/seed/push/${caller}`,
        parent: 'refs/heads/main',
        message: `push by ${caller}\n`,
        files: { [`pushed/${caller}.txt`]: `${caller}\n` },
      })),
    ];
    const commits = new Map(await seedCommits(seed, base));
    const world = { seed, url: server.url, env };
    const everyCaller = CALLERS.flatMap((caller) => callerRefspecs(caller, commits));
    await pushAs(world, 'admin', PATHS.secret, ['refs/heads/main:refs/heads/main', ...everyCaller]);
    await pushAs(world, 'admin', PATHS.open, ['refs/heads/main:refs/heads/main', ...everyCaller]);
    await pushAs(world, 'admin', PATHS.app, ['refs/heads/main:refs/heads/main']);
    await pushAs(world, 'admin', PATHS.lib, ['refs/heads/main:refs/heads/main']);
    await pushAs(world, 'admin', PATHS.vault, ['refs/seed/vault:refs/heads/main']);

    // Merge request commits build on the views of /projects/app and /projects/lib, each adding its own file.
    for (const [path, view] of [
      [PATHS.app, 'refs/seed/app-view'],
      [PATHS.lib, 'refs/seed/lib-view'],
    ] as const) {
      await git(['fetch', '-q', `${server.url}${path}`, `main:${view}`], { cwd: seed, env: env.admin });
    }
    const onView = (ref: string, file: string, view = 'refs/seed/app-view'): SeedCommit => ({
      ref,
      parent: view,
      message: `${ref}\n`,
      files: { [file]: `${ref}\n` },
    });
    const proposals = CALLERS.flatMap((caller) => [
      onView(`refs/seed/mr/${caller}`, `mr/${caller}.txt`),
      onView(`refs/seed/others/${caller}`, `others/${caller}.txt`),
      onView(`refs/seed/own/${caller}`, `own/${caller}.txt`),
      onView(`refs/seed/lib-own/${caller}`, `own/${caller}.txt`, 'refs/seed/lib-view'),
    ]);
    for (const [ref, id] of await seedCommits(seed, proposals)) commits.set(ref, id);
    const others = {} as Record<Caller, number>;
    for (const caller of CALLERS) {
      const author = caller === 'writer' ? 'maintainer' : 'writer';
      others[caller] = await openMergeRequest(
        world,
        author,
        `refs/seed/others/${caller}`,
        `others/${caller}`,
      );
    }
    const own: Partial<Record<Caller, number>> = {};
    const ownWhereAllowed: Partial<Record<Caller, number>> = {};
    for (const caller of ['writer', 'maintainer', 'admin'] as const) {
      own[caller] = await openMergeRequest(world, caller, `refs/seed/own/${caller}`, `own/${caller}`);
      ownWhereAllowed[caller] = await openMergeRequest(
        world,
        caller,
        `refs/seed/lib-own/${caller}`,
        `own/${caller}`,
        PATHS.lib,
      );
    }

    const lfsDownload = lfsObject('an LFS object of /import/secret\n');
    await putLfsObject(seed, lfsDownload);
    const uploaded = await git(
      ['lfs', 'push', '--object-id', `${server.url}${PATHS.secret}`, lfsDownload.oid],
      { cwd: seed, env: env.admin, check: false },
    );
    if (uploaded.code !== 0) throw new Error(`setup LFS upload failed: ${uploaded.stderr}`);

    let cells = 0;
    const running = server;
    const database = scratch;
    return {
      dialect,
      server: running,
      url: running.url,
      seed,
      commits,
      tokens,
      env,
      mergeRequests: { others, own, ownWhereAllowed },
      lfsDownload,
      freshDir: (label) => join(temp.path, 'cells', `${++cells}-${label.replace(/[^a-z0-9]+/gi, '-')}`),
      async stop() {
        await running.stop();
        await database.drop();
        await temp.remove();
      },
    };
  } catch (error) {
    await server?.stop();
    await scratch?.drop();
    await temp.remove();
    throw error;
  }
}
