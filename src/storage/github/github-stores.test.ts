import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../tests/support/dialects.js';
import { RepositoryStore } from '../repository-store.js';
import { GithubIssueStore, type IssueValues, type PullRequestValues } from './github-issue-store.js';
import { GithubLinkStore } from './github-link-store.js';

const T1 = '2026-01-01T00:00:00.000Z';
const T2 = '2026-01-02T00:00:00.000Z';

function issue(repoId: number, number: number, overrides: Partial<IssueValues> = {}): IssueValues {
  return {
    repo_id: repoId,
    repo_path: '/import/x',
    number,
    title: `issue ${number} — ünïcode 😀`,
    state: 'open',
    sender_name: 'octocat',
    sender_id: 1,
    user_name: 'octocat',
    user_id: 1,
    body: 'body',
    html_url: `https://github.com/o/r/issues/${number}`,
    created_at: T1,
    updated_at: T1,
    closed_at: null,
    ...overrides,
  };
}

function pull(repoId: number, number: number, overrides: Partial<PullRequestValues> = {}): PullRequestValues {
  return {
    repo_id: repoId,
    repo_path: '/import/x',
    number,
    title: 'a pull request',
    state: 'open',
    created_at: T1,
    updated_at: T1,
    closed_at: null,
    merged_at: null,
    merge_commit_sha: null,
    sender_name: 'hubot',
    sender_id: 2,
    user_name: 'octocat',
    user_id: 1,
    commits_url: 'https://api.github.com/repos/o/r/pulls/1/commits',
    patch_url: 'https://github.com/o/r/pull/1.patch',
    head_label: 'octocat:feature',
    head_ref: 'feature',
    base_label: 'o:main',
    base_ref: 'main',
    body: null,
    html_url: 'https://github.com/o/r/pull/1',
    head_sha: 'a'.repeat(40),
    base_sha: 'b'.repeat(40),
    draft: 0,
    ...overrides,
  };
}

describeEachDialect('github stores', (getDb) => {
  const stores = () => {
    const { database } = getDb();
    return {
      repositories: new RepositoryStore(database.db, database.capabilities),
      links: new GithubLinkStore(database.db, database.capabilities),
      issues: new GithubIssueStore(database.db, database.capabilities),
    };
  };

  it('links a repository once, finds it by owner/name whatever the case, and cascades with it', async () => {
    const { repositories, links } = stores();
    const repo = await repositories.create({ path: '/import/linked', kind: 'import' });
    const id = await links.create({
      repoId: repo.id,
      repoPath: repo.path,
      apiUrl: 'https://api.github.com',
      webUrl: 'https://github.com',
      owner: 'Octo-Cat',
      name: 'Hello-World',
      credentialId: null,
      source: 'manual',
      syncRepositoryId: null,
    });
    expect((await links.byFullName('octo-cat', 'HELLO-world')).map((l) => l.id)).toEqual([id]);
    await expect(
      links.create({
        repoId: repo.id,
        repoPath: repo.path,
        apiUrl: 'https://api.github.com',
        webUrl: 'https://github.com',
        owner: 'a',
        name: 'b',
        credentialId: null,
        source: 'manual',
        syncRepositoryId: null,
      }),
    ).rejects.toSatisfy((error) => getDb().database.capabilities.isUniqueViolation(error));
    await links.update(id, { cursors: '{"issues":{"since":"x"}}', lastError: 'boom' });
    expect((await links.byId(id))?.cursors).toBe('{"issues":{"since":"x"}}');
    await repositories.delete(repo.id);
    expect(await links.byId(id)).toBeUndefined();
  });

  it('claims a delivery id exactly once', async () => {
    const { links } = stores();
    const claim = {
      deliveryId: 'd-1',
      event: 'issues',
      action: 'opened',
      repoId: null,
      outcome: 'stored' as const,
    };
    expect(await links.claimDelivery(claim)).toBe(true);
    expect(await links.claimDelivery(claim)).toBe(false);
    expect(await links.claimDelivery({ ...claim, deliveryId: 'd-2' })).toBe(true);
    expect((await links.delivery('d-1'))?.outcome).toBe('stored');
  });

  it('keeps the newest version of an issue, with its labels and comments', async () => {
    const { repositories, issues } = stores();
    const repo = await repositories.create({ path: '/import/issues', kind: 'import' });
    const labels = [
      { name: 'bug', color: 'd73a4a' },
      { name: 'bug', color: 'd73a4a' },
      { name: 'help wanted', color: null },
    ];
    expect(await issues.upsertIssue(issue(repo.id, 1), labels)).toBe('inserted');
    expect(await issues.upsertIssue(issue(repo.id, 2))).toBe('inserted');
    expect(
      await issues.upsertIssue(issue(repo.id, 1, { state: 'closed', closed_at: T2, updated_at: T2 }), []),
    ).toBe('updated');
    // An older version arriving late changes nothing.
    expect(await issues.upsertIssue(issue(repo.id, 1, { title: 'old' }), labels)).toBe('stale');
    const stored = await issues.issue(repo.id, 1);
    expect(stored?.state).toBe('closed');
    expect(stored?.title).toBe('issue 1 — ünïcode 😀');
    expect((await issues.labels(repo.id, [1])).get(1)).toBeUndefined();
    await issues.upsertIssue(issue(repo.id, 2, { updated_at: T2 }), labels);
    expect((await issues.labels(repo.id, [1, 2])).get(2)?.map((l) => l.name)).toEqual(['bug', 'help wanted']);
    expect((await issues.listIssues(repo.id, { limit: 10, offset: 0 })).map((i) => Number(i.number))).toEqual(
      [2, 1],
    );
    expect((await issues.listIssues(repo.id, { state: 'open', limit: 10, offset: 0 })).length).toBe(1);
    expect(await issues.counts(repo.id)).toEqual({ issues: { open: 1, closed: 1 }, pulls: {} });

    const comment = {
      repo_id: repo.id,
      number: 2,
      comment_id: 5_000_000_001,
      user_name: 'octocat',
      user_id: 1,
      body: 'first',
      html_url: null,
      created_at: T1,
      updated_at: T1,
    };
    expect(await issues.upsertComment(comment)).toBe('inserted');
    expect(await issues.upsertComment({ ...comment, body: 'edited', updated_at: T2 })).toBe('updated');
    expect(await issues.upsertComment({ ...comment, body: 'late' })).toBe('stale');
    expect((await issues.comments(repo.id, 2)).map((c) => [c.body, Number(c.comment_id)])).toEqual([
      ['edited', 5_000_000_001],
    ]);
    await issues.deleteIssue(repo.id, 2);
    expect(await issues.issue(repo.id, 2)).toBeUndefined();
    expect(await issues.comments(repo.id, 2)).toEqual([]);
    expect((await issues.labels(repo.id, [2])).size).toBe(0);
  });

  it('stores pull requests with the seed columns, and a repository delete removes them', async () => {
    const { repositories, issues } = stores();
    const repo = await repositories.create({ path: '/import/pulls', kind: 'import' });
    expect(await issues.upsertPullRequest(pull(repo.id, 1))).toBe('inserted');
    const merged = pull(repo.id, 1, {
      state: 'closed',
      merged_at: T2,
      closed_at: T2,
      updated_at: T2,
      merge_commit_sha: 'c'.repeat(40),
    });
    expect(await issues.upsertPullRequest(merged)).toBe('updated');
    const row = await issues.pullRequest(repo.id, 1);
    expect(row?.merged_at).toBe(T2);
    expect(row?.merge_commit_sha).toBe('c'.repeat(40));
    expect(row?.head_ref).toBe('feature');
    expect(Number(row?.sender_id)).toBe(2);
    expect(row?.created_at).toBe(T1);
    await repositories.delete(repo.id);
    expect(await issues.pullRequest(repo.id, 1)).toBeUndefined();
  });
});
