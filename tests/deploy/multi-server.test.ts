import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText } from '../support/git-cli.js';
import { configureLfsUser, sha256File, writeRandomFile } from '../support/git-lfs-client.js';
import { serviceAvailable } from '../support/services.js';
import { makeTempDir } from '../support/temp-dir.js';
import { startGitHttpServer, type GitHttpServer } from '../sync/support/git-http-server.js';
import { headOf, makeUpstream, publishBare } from '../sync/support/sync-harness.js';
import { startInstallation, type Installation } from './installation.js';
import { pushBarrier, startPushGate, type PushGate } from './push-gate.js';

const SERVICES_UP = (await serviceAvailable('postgres')) && (await serviceAvailable('redis'));

const MiB = 1024 * 1024;
const SOURCE_TOKEN = 'ghp_deploy-test-0f1e2d3c4b5a69788796';
const RACE_REFUSAL = 'failed to lock: the ref changed since you fetched it; fetch first';

/** `git ls-remote` or `git show-ref` as a map ref → id. */
function refMap(lsRemote: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of lsRemote.split('\n').filter(Boolean)) {
    const [id, name] = line.split(/[\t ]/) as [string, string];
    refs.set(name, id);
  }
  return refs;
}

/** `git push --porcelain`'s ref lines: ref → flag (`*` new, ` ` fast-forward, `!` rejected, …). */
function pushFlags(stdout: string): Map<string, string> {
  const flags = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^(.)\t[^:]*:(\S+)\t/.exec(line);
    if (match) flags.set(match[2] as string, match[1] as string);
  }
  return flags;
}

/**
 * `/readyz`'s dependencies once it answers 200. A probe is asked again (as a load balancer does):
 * on a loaded runner one Redis or S3 answer can miss its 2 s or 5 s limit, which says nothing of
 * the deployment; a dependency that stays failing fails the test with the last body.
 */
async function readyDependencies(url: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await fetch(`${url}/readyz`);
    const body = (await response.json()) as { status: string; dependencies: Record<string, unknown> };
    if (response.status === 200 && body.status === 'ready') return body.dependencies;
    if (Date.now() > deadline) throw new Error(`${url}/readyz: ${response.status} ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Issue 17, item 8: a real multi-server installation (two `mega serve`, two `mega worker`, one
 * PostgreSQL database, Redis, an S3 stand-in for LFS, one deployment secret), driven by the real
 * `git` and `git-lfs` clients and the REST API, each check crossing from one server to the other.
 */
describe.skipIf(!SERVICES_UP)('one installation on several servers', { timeout: 120_000 }, () => {
  let temp: { path: string; remove: () => Promise<void> };
  let mega: Installation;
  let gitEnv: Record<string, string>;

  beforeAll(async () => {
    temp = await makeTempDir('mega-deploy-');
    mega = await startInstallation(temp.path);
    gitEnv = await configureLfsUser(temp.path, 'alice', mega.token);
  });
  afterAll(async () => {
    await mega?.close();
    await temp?.remove();
  });

  const run = (args: string[], cwd?: string) => git(args, { cwd, env: gitEnv, check: false });
  const ok = async (args: string[], cwd?: string) => {
    const result = await run(args, cwd);
    expect(result.code, `git ${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result;
  };
  const api = async (server: 'a' | 'b', method: string, path: string, body?: unknown) => {
    const response = await fetch(`${mega[server].url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${mega.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  it('reports database, Redis and the S3 LFS store ready on both servers and both workers', async () => {
    expect(mega.initOutput).toMatch(
      /^mega: installation [0-9a-f]+, sync jobs on Redis channel mega:[0-9a-f]+:sync:jobs$/m,
    );
    for (const server of [mega.a, mega.b]) {
      const dependencies = await readyDependencies(server.url);
      expect(dependencies).toMatchObject({
        database: { status: 'ok' },
        storage: { status: 'ok' },
        redis: { status: 'ok' },
        lfs_store: { status: 'ok', details: { store: 's3://mega-lfs/lfs/' } },
      });
    }
    for (const worker of mega.workers) {
      expect(await readyDependencies(worker.url)).toMatchObject({
        database: { status: 'ok' },
        redis: { status: 'ok' },
        lfs_store: { status: 'ok' },
        worker: { status: 'ok' },
      });
    }
  });

  it('serves a clone through B of a 3 MiB file and an LFS object pushed through A', async () => {
    const work = join(temp.path, 'content');
    await ok(['init', '-q', work]);
    await ok(['lfs', 'install', '--local'], work);
    await ok(['lfs', 'track', '*.bin'], work);
    // Random bytes do not compress: a 3 MiB blob stays above the 1 MiB chunking threshold.
    const bigSha = await writeRandomFile(join(work, 'big.dat'), 3 * MiB);
    const lfsSha = await writeRandomFile(join(work, 'asset.bin'), 300_000);
    await writeFile(join(work, 'README.md'), 'deployed\n');
    await ok(['add', '.gitattributes', 'big.dat', 'asset.bin', 'README.md'], work);
    await ok(['commit', '-q', '-m', 'large file and LFS object'], work);
    const pushed = await ok(
      ['push', `${mega.a.url}/import/deploy-content.git`, 'HEAD:refs/heads/main'],
      work,
    );
    expect(pushed.stderr).toContain(' * [new branch]      HEAD -> main');

    const clone = join(temp.path, 'content-via-b');
    const cloned = await ok(['clone', `${mega.b.url}/import/deploy-content.git`, clone]);
    expect(cloned.stderr).toMatch(/Cloning into/);
    expect(await sha256File(join(clone, 'big.dat'))).toBe(bigSha);
    // Smudged: the file holds the object, not its pointer.
    expect(await sha256File(join(clone, 'asset.bin'))).toBe(lfsSha);
    expect(await gitText(['lfs', 'ls-files', '--long'], { cwd: clone, env: gitEnv })).toBe(
      `${lfsSha} * asset.bin`,
    );
    expect(await gitText(['rev-parse', 'HEAD'], { cwd: clone })).toBe(
      await gitText(['rev-parse', 'HEAD'], { cwd: work }),
    );
    await ok(['fsck', '--full', '--strict'], clone);
    // Neither server keeps objects or LFS contents in its data directory.
    for (const dir of ['serve-a', 'serve-b']) {
      const entries = await readdir(join(temp.path, dir));
      expect(entries, dir).not.toContain('objects');
      expect(entries, dir).not.toContain('lfs');
    }
  });

  describe('a sync credential stored through A', () => {
    let source: GitHttpServer;
    let upstream: string;
    beforeAll(async () => {
      const root = join(temp.path, 'sources');
      await mkdir(root);
      upstream = await makeUpstream(temp.path, 3);
      await publishBare(upstream, root, 'private');
      source = await startGitHttpServer({ projectRoot: root, basicAuth: [['x-access-token', SOURCE_TOKEN]] });
    });
    afterAll(async () => {
      await source?.close();
    });

    it('is used by every worker to sync, and the runs are read through B', async () => {
      const tenant = await api('a', 'POST', '/sync/tenants', { name: 'deploy' });
      expect(tenant.status, JSON.stringify(tenant.body)).toBe(201);
      const base = `/sync/tenants/${tenant.body.id as number}`;
      const credential = await api('a', 'POST', `${base}/credentials`, {
        name: 'source-token',
        type: 'token',
        secret: SOURCE_TOKEN,
      });
      expect(credential.status, JSON.stringify(credential.body)).toBe(201);
      const repository = await api('a', 'POST', `${base}/repositories`, {
        name: 'private',
        url: `${source.url}/private.git`,
        credentialId: credential.body.id,
      });
      expect(repository.status, JSON.stringify(repository.body)).toBe(201);
      const triggered = await api('a', 'POST', `${base}/repositories/${repository.body.id as number}/sync`);
      expect(triggered.status).toBe(202);
      const requestId = triggered.body.requestId as string;

      // Without a worker group every worker keeps its own copy: both run the request.
      const workerIds = mega.workers.map((worker) => worker.id).sort();
      const deadline = Date.now() + 30_000;
      let results: Array<{ workerId: string; status: string }> = [];
      while (results.length < 2 || results.some((result) => result.status === 'running')) {
        if (Date.now() > deadline) throw new Error(`results ${JSON.stringify(results)}\n${mega.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const status = await api('b', 'GET', `${base}/requests/${requestId}`);
        results = status.body.results as typeof results;
      }
      expect(results.map((result) => result.workerId).sort()).toEqual(workerIds);

      const logs = await api('b', 'GET', `${base}/logs?repositoryId=${repository.body.id as number}`);
      expect(logs.status).toBe(200);
      const rows = (logs.body.items as Array<Record<string, unknown>>).filter(
        (row) => row.requestId === requestId,
      );
      expect(rows.map((row) => row.workerId).sort()).toEqual(workerIds);
      const head = await headOf(upstream);
      for (const row of rows) {
        expect(row, JSON.stringify(row)).toMatchObject({
          status: 'success',
          errorClass: null,
          toCommit: head,
        });
        expect(typeof row.commandOutput).toBe('string');
      }
      expect(JSON.stringify(logs.body)).not.toContain(SOURCE_TOKEN);
      expect(
        source.requests.filter((line) => line.includes('git-upload-pack')).length,
      ).toBeGreaterThanOrEqual(2);
    });
  });

  it('keeps every ref consistent when two mirror pushes race through A and B', async () => {
    const repoPath = '/import/deploy-race.git';
    const seed = join(temp.path, 'race-seed');
    await ok(['init', '-q', seed]);
    await writeFile(join(seed, 'base.txt'), 'base\n');
    await ok(['add', 'base.txt'], seed);
    await ok(['commit', '-q', '-m', 'base'], seed);
    await ok(['push', `${mega.a.url}${repoPath}`, 'HEAD:refs/heads/main'], seed);

    // Two clients, each with its own commit on main and refs of its own.
    const clients = [
      { name: 'a', server: mega.a },
      { name: 'b', server: mega.b },
    ];
    const locals: Array<Map<string, string>> = [];
    for (const { name, server } of clients) {
      const dir = join(temp.path, `race-${name}`);
      await ok(['clone', '-q', `${server.url}${repoPath}`, dir]);
      await ok(['remote', 'remove', 'origin'], dir);
      await writeFile(join(dir, `${name}.txt`), `pushed through ${name}\n`);
      await writeRandomFile(join(dir, `${name}.dat`), 200_000);
      await ok(['add', `${name}.txt`, `${name}.dat`], dir);
      await ok(['commit', '-q', '-m', `work of ${name}`], dir);
      await ok(['branch', `topic-${name}`, 'HEAD~1'], dir);
      await ok(['tag', '-a', `v-${name}`, '-m', `release ${name}`], dir);
      locals.push(refMap(await gitText(['show-ref', '--head', '--dereference'], { cwd: dir })));
    }

    const barrier = pushBarrier(2, 15_000);
    const gates: PushGate[] = await Promise.all(
      clients.map(({ server }) => startPushGate(server.url, barrier)),
    );
    let pushes;
    try {
      pushes = await Promise.all(
        clients.map(({ name }, index) =>
          run(
            ['push', '--mirror', '--porcelain', `${(gates[index] as PushGate).url}${repoPath}`],
            join(temp.path, `race-${name}`),
          ),
        ),
      );
    } finally {
      await Promise.all(gates.map((gate) => gate.close()));
    }
    expect(barrier.released).toBe(true);

    // Both read main at the base commit; the database lets exactly one move it.
    const outcomes = pushes.map((push) => ({ push, flags: pushFlags(push.stdout.toString('utf8')) }));
    const winners = outcomes.filter(({ flags }) => flags.get('refs/heads/main') === ' ');
    const losers = outcomes.filter(({ flags }) => flags.get('refs/heads/main') === '!');
    expect(winners, JSON.stringify(outcomes)).toHaveLength(1);
    expect(losers).toHaveLength(1);
    const loser = losers[0]!;
    expect(loser.push.code).toBe(1);
    expect(loser.push.stdout.toString('utf8')).toContain(
      `!\trefs/heads/main:refs/heads/main\t[remote rejected] (${RACE_REFUSAL})`,
    );
    expect(loser.push.stderr).toContain('error: failed to push some refs to');
    expect(loser.push.stderr).not.toMatch(/fatal|protocol error|early EOF/);
    expect(winners[0]!.push.code, winners[0]!.push.stderr).toBe(0);

    // Every ref either client created landed (non-atomic push: the loser's own refs are new);
    // main is the winner's commit. A and B agree.
    const expected = new Map<string, string>();
    outcomes.forEach(({ flags }, index) => {
      const local = locals[index] as Map<string, string>;
      for (const [ref, flag] of flags) {
        expect(['*', ' ', '!'], `${ref} ${flag}`).toContain(flag);
        if (flag !== '!') expected.set(ref, local.get(ref) as string);
      }
    });
    expect([...expected.keys()].sort()).toEqual([
      'refs/heads/main',
      'refs/heads/topic-a',
      'refs/heads/topic-b',
      'refs/tags/v-a',
      'refs/tags/v-b',
    ]);
    const viaA = refMap(await gitText(['ls-remote', `${mega.a.url}${repoPath}`], { env: gitEnv }));
    const viaB = refMap(await gitText(['ls-remote', `${mega.b.url}${repoPath}`], { env: gitEnv }));
    expect(viaB).toEqual(viaA);
    viaA.delete('HEAD');
    for (const ref of [...viaA.keys()].filter((name) => name.endsWith('^{}'))) viaA.delete(ref);
    expect(viaA).toEqual(expected);

    const fresh = join(temp.path, 'race-fresh');
    await ok(['clone', '-q', '--mirror', `${mega.b.url}${repoPath}`, fresh]);
    await ok(['fsck', '--full', '--strict'], fresh);
  });
});
