import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../support/dialects.js';
import { git } from '../support/git-cli.js';
import { commitFile, makeRepo } from '../support/git-fixtures.js';
import { clone, plainUser, startDirectoryServer, type DirectoryServer } from '../monorepo/harness.js';

const MR_LINE = /remote: merge request !(\d+): (http\S+)/;

/** A JSON reply; its body is read loosely (the assertions check its shape). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
interface Reply {
  status: number;
  body: Record<string, Loose>;
}

/**
 * Approvals, review rules per path and CODEOWNERS against `mega serve`, with real git pushes:
 * the merge is refused with the reason until the right people approved the current push.
 */
describeEachDialect('approvals, review rules and code owners', (getDb, dialect) => {
  let mega: DirectoryServer;
  let n = 0;
  const fresh = () => join(mega.work, `c${++n}`);
  const users: Record<string, { token: string }> = {};

  const call = async (method: string, path: string, token?: string, body?: unknown): Promise<Reply> => {
    const response = await fetch(`${mega.server.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, Loose>) : {} };
  };
  const mr = (number: string, action: string, token: string) =>
    call('POST', `/api/v1/merge-requests/${number}/${action}`, token);

  /** Pushes a change made by `edit` in a fresh clone of `path` as alice; the merge request number. */
  const propose = async (path: string, edit: (dir: string) => Promise<unknown>): Promise<string> => {
    const dir = fresh();
    await clone(`${mega.server.url}${path}`, dir);
    await edit(dir);
    const pushed = await git(['push', `${mega.server.url}${path}`, 'main'], { ...mega.as.alice, cwd: dir });
    const number = MR_LINE.exec(pushed.stderr)?.[1];
    expect(number, pushed.stderr).toBeDefined();
    return number!;
  };

  beforeAll(async () => {
    mega = await startDirectoryServer({
      env: dialect === 'sqlite' ? {} : { MEGA_DATABASE_URL: getDb().url },
    });
    await makeRepo(join(mega.work, 'foo'), [
      {
        'README.md': '# foo\n',
        'src/a.txt': 'a1\n',
        'src/b.txt': 'b1\n',
        '.github/CODEOWNERS': '# foo owners\n/src/ @carol\n',
      },
    ]);
    await git(['push', `${mega.server.url}/projects/foo`, 'main'], {
      ...mega.as.alice,
      cwd: join(mega.work, 'foo'),
    });
    await makeRepo(join(mega.work, 'bar'), [{ 'bar.txt': 'bar1\n', CODEOWNERS: '* @reviewers\n' }]);
    await git(['push', `${mega.server.url}/projects/bar`, 'main'], {
      ...mega.as.alice,
      cwd: join(mega.work, 'bar'),
    });
    for (const name of ['carol', 'dave']) {
      users[name] = await plainUser(mega, name);
      const granted = await call('PUT', '/api/v1/access/grants', mega.tokens.alice, {
        path: '/projects',
        user: name,
        role: 'read',
      });
      expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    }
  });
  afterAll(async () => {
    await mega?.stop();
  });

  it('review rules: admins set them per path, they inherit, bad values are refused', async () => {
    const set = await call('PUT', '/api/v1/review-rules', mega.tokens.alice, {
      path: '/projects',
      requiredApprovals: 1,
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.effective).toMatchObject({ requiredApprovals: 1, approvalsFrom: '/projects' });
    const inherited = await call('GET', '/api/v1/review-rules?path=/projects/foo', users.carol!.token);
    expect(inherited.body).toMatchObject({
      path: '/projects/foo',
      requiredApprovals: null,
      effective: { requiredApprovals: 1, approvalsFrom: '/projects', requiredChecks: [] },
    });
    const notAdmin = await call('PUT', '/api/v1/review-rules', users.carol!.token, {
      path: '/projects',
      requiredApprovals: 0,
    });
    expect(notAdmin.status).toBe(403);
    for (const bad of [-1, 1.5, 101]) {
      const refused = await call('PUT', '/api/v1/review-rules', mega.tokens.alice, {
        path: '/projects',
        requiredApprovals: bad,
      });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('review_rule_invalid');
    }
    const badCheck = await call('PUT', '/api/v1/review-rules', mega.tokens.alice, {
      path: '/projects',
      requiredChecks: ['ok', 'bad\u0000'],
    });
    expect(badCheck.status).toBe(400);
    const badPath = await call('PUT', '/api/v1/review-rules', mega.tokens.alice, {
      path: '/projects/../etc',
      requiredApprovals: 1,
    });
    expect(badPath.status).toBe(400);
    for (const body of [
      { path: 'x'.repeat(2000), requiredApprovals: 1 },
      { path: '/projects', requiredChecks: Array.from({ length: 51 }, (_, i) => `c${i}`) },
      { path: '/projects', requiredChecks: 'build' },
      { path: '/projects', requiredApprovals: '1' },
    ]) {
      expect((await call('PUT', '/api/v1/review-rules', mega.tokens.alice, body)).status).toBe(400);
    }
    expect((await call('POST', '/api/v1/merge-requests/abc/approve', mega.tokens.bob)).status).toBe(400);
    expect((await call('GET', '/api/v1/merge-requests/0/merge-status', mega.tokens.bob)).status).toBe(400);
    expect((await call('GET', '/api/v1/merge-requests/424242/merge-status', mega.tokens.bob)).status).toBe(
      404,
    );
    const removed = await call('DELETE', '/api/v1/review-rules?path=/projects/foo', mega.tokens.alice);
    expect(removed.status).toBe(204);
  });

  it('a merge waits for the required approvals; authors cannot approve; a new push makes approvals stale', async () => {
    const number = await propose('/projects/foo', (dir) =>
      commitFile(dir, 'README.md', '# foo\nv2\n', 'readme'),
    );
    const refused = await mr(number, 'merge', mega.tokens.bob);
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain('approvals_required');

    const status = await call('GET', `/api/v1/merge-requests/${number}/merge-status`, mega.tokens.bob);
    expect(status.status).toBe(200);
    expect(status.body.canMerge).toBe(false);
    expect(status.body.blockers.map((b: { code: string }) => b.code)).toEqual(['approvals_required']);
    expect(status.body.blockers[0].details).toMatchObject({ required: 1, given: [] });
    expect(status.body.codeOwners).toEqual([]);
    // The author's own status also says they may not merge their own request.
    const own = await call('GET', `/api/v1/merge-requests/${number}/merge-status`, mega.tokens.alice);
    expect(own.body.blockers.map((b: { code: string }) => b.code)).toContain('self_merge_not_allowed');

    const self = await mr(number, 'approve', mega.tokens.alice);
    expect(self.status).toBe(403);
    expect(JSON.stringify(self.body)).toContain('self_approval_not_allowed');
    expect((await call('POST', `/api/v1/merge-requests/${number}/approve`)).status).toBe(401);
    expect((await mr('999999', 'approve', mega.tokens.bob)).status).toBe(404);

    const approved = await mr(number, 'approve', mega.tokens.bob);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.items).toMatchObject([{ username: 'bob', stale: false }]);
    await mr(number, 'approve', mega.tokens.bob); // twice is once

    // A new push to the same request: bob's approval is of the older commit now.
    const dir = fresh();
    await clone(`${mega.server.url}/projects/foo`, dir);
    await git(['fetch', '-q', `${mega.server.url}/projects/foo`], { cwd: dir });
    const again = await propose('/projects/foo', (d) =>
      commitFile(d, 'README.md', '# foo\nv3\n', 'readme 3'),
    );
    if (again === number) {
      const stale = await call('GET', `/api/v1/merge-requests/${number}/approvals`, mega.tokens.bob);
      expect(stale.body.items).toMatchObject([{ username: 'bob', stale: true }]);
      expect((await mr(number, 'merge', mega.tokens.bob)).status).toBe(409);
      await mr(number, 'approve', mega.tokens.bob);
    }
    // (A fresh clone's push does not descend from the request's head: it may be a new request.)
    await mr(again, 'approve', mega.tokens.bob);
    const unapproved = await mr(again, 'unapprove', mega.tokens.bob);
    expect(unapproved.body.items).toEqual([]);
    expect((await mr(again, 'merge', mega.tokens.bob)).status).toBe(409);
    await mr(again, 'approve', mega.tokens.bob);
    const merged = await mr(again, 'merge', mega.tokens.bob);
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    const detail = await call('GET', `/api/v1/merge-requests/${again}`, mega.tokens.bob);
    const actions = detail.body.events.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['approved', 'unapproved', 'merged']));
    expect((await mr(again, 'approve', mega.tokens.bob)).status).toBe(409);
  });

  it('CODEOWNERS in the repository, read at the target: src/ needs carol, whatever the proposal says', async () => {
    const number = await propose('/projects/foo', async (dir) => {
      // The proposer adds themselves as an owner: the target's file still counts.
      await writeFile(join(dir, '.github/CODEOWNERS'), '/src/ @alice @carol\n');
      await commitFile(dir, 'src/a.txt', 'a2\n', 'change src');
    });
    await mr(number, 'approve', mega.tokens.bob);
    const refused = await mr(number, 'merge', mega.tokens.bob);
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain('code_owner_approval_required');
    const status = await call('GET', `/api/v1/merge-requests/${number}/merge-status`, users.carol!.token);
    expect(status.body.codeOwners).toMatchObject([
      {
        source: '/projects/foo:.github/CODEOWNERS',
        owners: ['@carol'],
        paths: ['/projects/foo/src/a.txt'],
        eligible: ['carol'],
        satisfied: false,
      },
    ]);
    // carol has no maintain role: she may approve, not merge.
    expect(status.body.blockers.map((b: { code: string }) => b.code)).toEqual([
      'merge_forbidden',
      'code_owner_approval_required',
    ]);
    expect((await mr(number, 'approve', users.carol!.token)).status).toBe(200);
    const merged = await mr(number, 'merge', mega.tokens.bob);
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
  });

  it('a multi-repository merge request needs the owners of each repository', async () => {
    const number = await propose('/projects', async (dir) => {
      await writeFile(join(dir, 'foo/src/b.txt'), 'b2\n');
      await commitFile(dir, 'bar/bar.txt', 'bar2\n', 'across two repositories');
    });
    await mr(number, 'approve', users.carol!.token);
    const status = await call('GET', `/api/v1/merge-requests/${number}/merge-status`, mega.tokens.bob);
    const missing = status.body.codeOwners.filter((rule: { satisfied: boolean }) => !rule.satisfied);
    expect(missing).toMatchObject([{ source: '/projects/bar:CODEOWNERS', owners: ['@reviewers'] }]);
    expect(status.body.blockers.map((b: { code: string }) => b.code)).toEqual([
      'code_owner_approval_required',
    ]);
    expect(status.body.warnings.join('\n')).toMatch(/@reviewers names no user or group/);
    const refused = await mr(number, 'merge', mega.tokens.bob);
    expect(refused.status).toBe(409);
    expect(refused.body.missing).toMatchObject([
      { owners: ['@reviewers'], paths: ['/projects/bar/bar.txt'] },
    ]);

    // @reviewers is a user group: a member's approval satisfies bar's owners.
    const created = await call('POST', '/api/v1/groups', mega.tokens.alice, { name: 'reviewers' });
    expect(created.status, JSON.stringify(created.body)).toBeLessThan(300);
    const member = await call('PUT', '/api/v1/groups/reviewers/members/dave', mega.tokens.alice);
    expect(member.status, JSON.stringify(member.body)).toBeLessThan(300);
    expect((await mr(number, 'approve', users.dave!.token)).status).toBe(200);
    const after = await call('GET', `/api/v1/merge-requests/${number}/merge-status`, mega.tokens.bob);
    expect(after.body.canMerge, JSON.stringify(after.body.blockers)).toBe(true);
    expect(after.body.approvals.given).toEqual(['carol', 'dave']);
    const merged = await mr(number, 'merge', mega.tokens.bob);
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
  });
});
