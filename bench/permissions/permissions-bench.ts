import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessStore } from '../../src/storage/access/access-store.js';
import type { Storage } from '../../src/storage/storage.js';
import { seedCommits, type SeedCommit } from '../../tests/access/support/seed-commits.js';
import { authEnv } from '../../tests/http/http-fixture.js';
import { git, gitText } from '../../tests/support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../../tests/support/mega-process.js';
import {
  createScratchDatabase,
  DIALECT_NAMES,
  scratchStorage,
  type DialectName,
  type ScratchDatabase,
} from '../../tests/support/scratch-database.js';
import { type BenchResult, argValue, timeMs } from '../report.js';
import { startHttpBackendBridge } from '../smart-http/http-backend-bridge.js';

/**
 * `permissions` benchmark (issue 16): what permission checks cost `git ls-remote` and `git clone`
 * of `/projects` holding N repositories. Measured (a) as today: no grants, the admin's token;
 * (b) with G grants (users and groups, some private repositories) as a non-admin user holding a
 * few of them. `ratio` is b/a (the issue asks for at most 1.10); C git's `git http-backend`
 * serving a bare repository with the same tree as the /projects clone is timed in the same run.
 */
const PUSH_CONCURRENCY = 4;
/** Share of repositories made private when grants are added (the bench user may read a few). */
const PRIVATE_EVERY = 10;

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function createToken(dataDir: string, env: Record<string, string>, user: string, admin: boolean) {
  const args = ['token', 'create', user, '--data', dataDir, ...(admin ? ['--admin'] : [])];
  const created = await runMega(args, { env });
  if (created.code !== 0) throw new Error(`mega token create ${user} failed: ${created.stderr}`);
  return created.stdout.trim().split('\n').pop() ?? '';
}

/** N small repositories as root commits `refs/heads/pK` of one local repository (one fast-import). */
async function makeProjects(dir: string, repos: number): Promise<void> {
  await git(['init', '-q', '-b', 'main', dir]);
  const commits: SeedCommit[] = Array.from({ length: repos }, (_, index) => ({
    ref: `refs/heads/p${index}`,
    message: `project ${index}\n`,
    files: {
      'README.md': `# project ${index}\n`,
      'src/index.ts': `export const project = ${index};\nexport const name = "p${index}";\n`,
    },
  }));
  await seedCommits(dir, commits);
}

/** Pushes each `refs/heads/pK` to `/projects/pK` (a first push creates the repository and its b-link). */
async function pushProjects(dir: string, url: string, token: string, repos: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < repos; index = next++) {
      await git(['push', '-q', `${url}/projects/p${index}`, `refs/heads/p${index}:refs/heads/main`], {
        cwd: dir,
        env: authEnv(token),
      });
    }
  };
  await Promise.all(Array.from({ length: PUSH_CONCURRENCY }, worker));
}

/**
 * `grants` grants over users and groups, every PRIVATE_EVERY-th repository private, and the bench
 * user's few: read on three private repositories, write on one, and membership of a group with grants.
 */
async function addGrants(storage: Storage, benchUser: string, grants: number, repos: number): Promise<void> {
  const access: AccessStore = storage.access;
  const users = await Promise.all(
    Array.from({ length: 20 }, (_, index) => storage.users.createUser({ username: `grantee${index}` })),
  );
  const bench = await storage.users.findUser(benchUser);
  if (!bench) throw new Error(`no user ${benchUser}`);
  const groups = [];
  for (let index = 0; index < 10; index++) {
    const group = await access.createGroup(`team${index}`);
    for (let member = 0; member < 4; member++) {
      await access.addMember(group.id, users[(index * 4 + member) % users.length]?.id ?? 0);
    }
    groups.push(group);
  }
  await access.addMember(groups[0]?.id ?? 0, bench.id);
  for (let index = 0; index < repos; index += PRIVATE_EVERY) {
    await access.setPathSetting(`/projects/p${index}`, { visibility: 'private' });
  }
  const own: Array<[string, string]> = [
    ['/projects/p0', 'read'],
    ['/projects/p10', 'read'],
    ['/projects/p20', 'read'],
    ['/projects/p1', 'write'],
  ];
  for (const [path, role] of own) await access.setGrant(path, 'user', bench.id, role);
  const roles = ['read', 'write', 'maintain'];
  for (let index = own.length; index < grants; index++) {
    const path = `/projects/p${(index * 37) % repos}`;
    const role = roles[index % roles.length] ?? 'read';
    if (index % 3 === 0) await access.setGrant(path, 'group', groups[index % groups.length]?.id ?? 0, role);
    else await access.setGrant(path, 'user', users[index % users.length]?.id ?? 0, role);
  }
}

interface Timings {
  readonly lsRemote: number[];
  readonly clone: number[];
}

/** Times `git ls-remote` and `git clone` of `url` `runs` times, after one untimed warm-up clone. */
async function measure(
  url: string,
  env: Record<string, string>,
  work: string,
  runs: number,
): Promise<Timings> {
  await mkdir(work, { recursive: true });
  await git(['clone', '-q', '--no-checkout', url, join(work, 'warm-up')], { env });
  const timings: Timings = { lsRemote: [], clone: [] };
  for (let run = 0; run < runs; run++) {
    timings.lsRemote.push((await timeMs(() => git(['ls-remote', url], { env }))).ms);
    const target = join(work, `clone-${run}`);
    timings.clone.push((await timeMs(() => git(['clone', '-q', '--no-checkout', url, target], { env }))).ms);
    await rm(target, { recursive: true, force: true });
  }
  return timings;
}

async function scratchFor(args: readonly string[]): Promise<ScratchDatabase> {
  const name = argValue(args, '--database') ?? 'sqlite';
  if (!DIALECT_NAMES.includes(name as DialectName)) throw new Error(`unknown --database ${name}`);
  return createScratchDatabase(name as DialectName);
}

/**
 * `npm run bench -- permissions [--repos 1000] [--grants 100] [--runs 3] [--database sqlite|postgres|mysql]
 * [--cpu-prof DIR]` (the server's CPU profile, written to DIR when it stops)
 */
export async function runPermissionsBench(args: readonly string[]): Promise<BenchResult[]> {
  const repos = Number(argValue(args, '--repos') ?? 1000);
  const grants = Number(argValue(args, '--grants') ?? 100);
  const runs = Number(argValue(args, '--runs') ?? 3);
  const dir = await mkdtemp(join(tmpdir(), 'mega-bench-permissions-'));
  const scratch = await scratchFor(args);
  let server: MegaServer | undefined;
  const closers: Array<() => Promise<void>> = [];
  try {
    const dataDir = join(dir, 'data');
    const env = { MEGA_DATABASE_URL: scratch.url, MEGA_SECRET_KEY: randomBytes(32).toString('hex') };
    const adminToken = await createToken(dataDir, env, 'bench-admin', true);
    const userToken = await createToken(dataDir, env, 'bench-user', false);
    const profileDir = argValue(args, '--cpu-prof');
    server = await startMegaServer({
      dataDir,
      args: ['--no-worker'],
      env,
      ...(profileDir ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] } : {}),
    });
    const source = join(dir, 'source');
    await makeProjects(source, repos);
    const built = await timeMs(() => pushProjects(source, server?.url ?? '', adminToken, repos));
    process.stderr.write(`permissions: ${repos} repositories pushed in ${(built.ms / 1000).toFixed(1)} s\n`);

    // C git: a bare repository with the very tree the /projects clone holds.
    const viewClone = join(dir, 'view');
    await git(['clone', '-q', '--no-checkout', `${server.url}/projects`, viewClone], {
      env: authEnv(adminToken),
    });
    const cgitRoot = join(dir, 'cgit');
    await git(['clone', '-q', '--bare', viewClone, join(cgitRoot, 'projects.git')]);
    const bridge = await startHttpBackendBridge(cgitRoot);
    closers.push(() => bridge.close());
    const cgitUrl = `${bridge.url}/projects.git`;
    const megaUrl = `${server.url}/projects`;

    const cgitBefore = await measure(cgitUrl, {}, join(dir, 'cgit-a'), runs);
    const before = await measure(megaUrl, authEnv(adminToken), join(dir, 'mega-a'), runs);
    await addGrants(scratchStorage(scratch, 1024 * 1024), 'bench-user', grants, repos);
    const cgitAfter = await measure(cgitUrl, {}, join(dir, 'cgit-b'), runs);
    const after = await measure(megaUrl, authEnv(userToken), join(dir, 'mega-b'), runs);
    const userTree = await gitText(['ls-tree', '--name-only', 'HEAD'], {
      cwd: join(dir, 'mega-b', 'warm-up'),
    });

    const row = (step: 'ls-remote' | 'clone', pick: (timings: Timings) => number[]): BenchResult => {
      const a = median(pick(before));
      const b = median(pick(after));
      const cgit = median([...pick(cgitBefore), ...pick(cgitAfter)]);
      return {
        scenario: `${step} /projects`,
        database: scratch.dialect,
        repos,
        grants,
        user_sees: userTree.split('\n').filter((name) => name.startsWith('p')).length,
        no_grants_admin_ms: Math.round(a),
        grants_user_ms: Math.round(b),
        ratio: b / a,
        cgit_ms: Math.round(cgit),
        admin_vs_cgit: a / cgit,
        user_vs_cgit: b / cgit,
      };
    };
    return [row('ls-remote', (t) => t.lsRemote), row('clone', (t) => t.clone)];
  } finally {
    for (const close of closers) await close();
    await server?.stop();
    await scratch.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
