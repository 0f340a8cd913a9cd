import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { git } from '../support/git-cli.js';
import { commitFile, makeRepo } from '../support/git-fixtures.js';
import { describeEachDialect } from '../support/dialects.js';
import { runMega } from '../support/mega-process.js';
import { api, clone, fsckStrict, startDirectoryServer, type DirectoryServer } from '../monorepo/harness.js';

const MR_LINE = /remote: merge request !(\d+): (http\S+)/;
const readme = (changes: Record<number, string> = {}): string =>
  Array.from({ length: 10 }, (_, i) => `${changes[i + 1] ?? `line ${i + 1}`}\n`).join('');

const codeOf = (response: { body: Record<string, unknown> }): unknown => response.body.code;

interface Shown {
  status: string;
  mergeability: { state: string; conflicts: Array<{ repository: string; path: string }> };
  changes: Array<{ repoPath: string; baseCommit: string; headCommit: string; mergedCommit?: string }>;
  events: Array<{ action: string; actor: string }>;
}

/**
 * Line-level merges end to end (issue 22), with real pushes to `mega serve` on each database:
 * two merge requests editing lines 3 and 8 of one README both merge (the second through a line
 * merge into a merge commit), mergeability is shown before anyone presses Merge (clean, or
 * conflict with the file), and "update from the target" rebases a proposal onto the moved head.
 */
describeEachDialect('line merges of merge requests', (getDb, dialect) => {
  let mega: DirectoryServer;
  let n = 0;
  const fresh = () => join(mega.work, `c${++n}`);
  const url = () => `${mega.server.url}/projects/doc`;
  const show = async (number: string): Promise<Shown> => {
    const response = await api(mega.server.url, 'GET', `/api/v1/merge-requests/${number}`, mega.tokens.alice);
    expect(response.status).toBe(200);
    return response.body as unknown as Shown;
  };
  const post = (number: string, action: string, token: string) =>
    api(mega.server.url, 'POST', `/api/v1/merge-requests/${number}/${action}`, token);

  /** A clone of the current /projects/doc with the README edited and pushed: the new MR's number. */
  async function propose(dir: string, changes: Record<number, string>, as: 'alice' | 'bob') {
    await commitFile(dir, 'README.md', readme(changes), `edit ${Object.keys(changes).join(',')}`);
    // A topic branch per proposal: clones behind the target push without a client-side refusal.
    const pushed = await git(['push', url(), `main:refs/heads/topic-${++n}`], { ...mega.as[as], cwd: dir });
    const number = MR_LINE.exec(pushed.stderr)?.[1];
    expect(number, pushed.stderr).toBeDefined();
    return number ?? '';
  }

  const env = (): Record<string, string> => (dialect === 'sqlite' ? {} : { MEGA_DATABASE_URL: getDb().url });
  /** A token of a user without administrator rights, in the server's database. */
  const plainToken = async (user: string): Promise<string> => {
    const made = await runMega(['token', 'create', user, '--data', mega.dataDir], { env: env() });
    expect(made.code, made.stderr).toBe(0);
    return made.stdout.trim().split('\n').pop() ?? '';
  };

  beforeAll(async () => {
    mega = await startDirectoryServer(
      dialect === 'sqlite' ? {} : { env: { MEGA_DATABASE_URL: getDb().url } },
    );
    const origin = join(mega.work, 'doc');
    await makeRepo(origin, [{ 'README.md': readme(), 'other.txt': 'other\n' }]);
    await git(['push', url(), 'main'], { ...mega.as.alice, cwd: origin });
  });
  afterAll(async () => {
    await mega?.stop();
  });

  it('merges edits of lines 3 and 8, shows conflicts before Merge, and updates a proposal from its target', async () => {
    // Every clone starts from the same target head.
    const [line3, line8, clash, line10] = [fresh(), fresh(), fresh(), fresh()];
    for (const dir of [line3, line8, clash, line10]) expect((await clone(url(), dir)).code).toBe(0);
    const first = await propose(line3, { 3: 'three' }, 'alice');
    const second = await propose(line8, { 8: 'eight' }, 'bob');
    expect((await show(first)).mergeability.state).toBe('clean');
    expect((await show(second)).mergeability.state).toBe('clean');

    // Authors may not merge their own requests by default: each merges the other's.
    const merged1 = await post(first, 'merge', mega.tokens.bob);
    expect(merged1.status, JSON.stringify(merged1.body)).toBe(200);

    // The target moved: the second is still clean (a line merge), known before Merge.
    const beforeMerge = await show(second);
    expect(beforeMerge.mergeability).toMatchObject({ state: 'clean', conflicts: [] });
    const merged2 = await post(second, 'merge', mega.tokens.alice);
    expect(merged2.status, JSON.stringify(merged2.body)).toBe(200);
    expect((merged2.body.merged as Array<{ kind: string }>)[0]?.kind).toBe('merge');

    const check = fresh();
    await clone(url(), check);
    expect(await readFile(join(check, 'README.md'), 'utf8')).toBe(readme({ 3: 'three', 8: 'eight' }));
    await fsckStrict(check);

    // Line 3 again, differently, from the old base: a conflict on README.md, shown before Merge.
    const third = await propose(clash, { 3: 'drei' }, 'alice');
    expect((await show(third)).mergeability).toMatchObject({
      state: 'conflict',
      conflicts: [{ repository: '/projects/doc', path: 'README.md' }],
    });
    const refusedMerge = await post(third, 'merge', mega.tokens.bob);
    expect(refusedMerge.status).toBe(409);
    expect(codeOf(refusedMerge)).toBe('merge_conflict');
    const refusedUpdate = await post(third, 'update', mega.tokens.alice);
    expect(refusedUpdate.status).toBe(409);
    expect(codeOf(refusedUpdate)).toBe('merge_conflict');

    // Update from the target: line 10 from the old base is rebased onto the merge of !second.
    const fourth = await propose(line10, { 10: 'ten' }, 'bob');
    const target = (await show(second)).changes[0]?.mergedCommit;
    expect(target).toBeDefined();
    const anonymous = await api(mega.server.url, 'POST', `/api/v1/merge-requests/${fourth}/update`);
    expect(anonymous.status).toBe(401);
    // Neither the author nor a writer of /projects/doc: refused, nothing changes.
    const stranger = await post(fourth, 'update', await plainToken('carol'));
    expect([403, 404], JSON.stringify(stranger.body)).toContain(stranger.status);
    expect((await show(fourth)).changes[0]?.baseCommit).not.toBe(target);
    const updated = await post(fourth, 'update', mega.tokens.bob);
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    const after = await show(fourth);
    expect(after.changes[0]?.baseCommit).toBe(target);
    expect(after.mergeability.state).toBe('clean');
    expect(after.events.map((event) => event.action)).toContain('target_updated');
    const again = await post(fourth, 'update', mega.tokens.bob);
    expect(again.status).toBe(409);
    expect(codeOf(again)).toBe('merge_request_up_to_date');

    // The rebased proposal has the target head as parent: merging it fast-forwards.
    const merged4 = await post(fourth, 'merge', mega.tokens.alice);
    expect(merged4.status, JSON.stringify(merged4.body)).toBe(200);
    expect((merged4.body.merged as Array<{ kind: string }>)[0]?.kind).toBe('fast-forward');
    const final = fresh();
    await clone(url(), final);
    expect(await readFile(join(final, 'README.md'), 'utf8')).toBe(
      readme({ 3: 'three', 8: 'eight', 10: 'ten' }),
    );
    await fsckStrict(final);
    const log = await git(['log', '--format=%an|%cn', '-1', 'HEAD'], { cwd: final });
    // The rebased commit keeps the proposal's author; the committer is whoever updated it.
    expect(log.stdout.toString('utf8').trim()).toBe('Test Author|bob');

    // The third still conflicts against the new head.
    expect((await show(third)).mergeability.state).toBe('conflict');
  });

  it('refuses hostile input on the update route', async () => {
    expect((await post('0', 'update', mega.tokens.alice)).status).toBe(400);
    expect((await post('abc', 'update', mega.tokens.alice)).status).toBe(400);
    expect((await post('999999', 'update', mega.tokens.alice)).status).toBe(404);
  });
});
