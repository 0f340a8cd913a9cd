import { randomBytes } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../tests/support/dialects.js';
import {
  recordedComment,
  recordedIssue,
  recordedPull,
  startFakeGithub,
  time,
  webhookExamples,
  type FakeGithub,
} from '../../tests/support/fake-github.js';
import { createLogger } from '../platform/logger.js';
import { SecretBox } from '../platform/secret-box.js';
import { createStorage, type Storage } from '../storage/storage.js';
import { CredentialVault } from '../sync/credential-vault.js';
import { GithubReader } from './github-reader.js';
import { GithubService } from './github-service.js';

const logger = createLogger({ level: 'silent' });

describeEachDialect('GitHub sync', (getDb) => {
  let fake: FakeGithub;
  let storage: Storage;
  let service: GithubService;
  let reader: GithubReader;
  let credentialId: number;
  const box = new SecretBox(randomBytes(32));
  const sleeps: number[] = [];

  beforeAll(async () => {
    fake = await startFakeGithub();
    const { database, dataDir, url } = getDb();
    storage = createStorage(database, { dataDir, databaseUrl: url, largeObjectThreshold: 1 << 20 });
    service = new GithubService({
      storage,
      box,
      logger,
      client: { sleep: async (ms) => void sleeps.push(ms), maxWaitMs: 5_000 },
    });
    reader = new GithubReader(storage, service);
    const tenant = await storage.sync.config.createTenant('gh');
    const vault = new CredentialVault(box);
    credentialId = await storage.sync.config.createCredential(
      { tenant_id: tenant, name: 'gh-token', type: 'token', username: null, known_host: null },
      (id) => vault.seal(id, 'ghp_secret-token'),
    );
  });
  afterAll(async () => {
    await fake?.close();
  });

  const importRepo = (name: string) =>
    storage.repositories.create({ path: `/import/${name}`, kind: 'import' });

  it('backfills with pages, then polls with since and ETags, and honours rate limits', async () => {
    await importRepo('polled');
    fake.repo.issues = [1, 2, 3, 4, 5].map((n) => recordedIssue(n, n));
    fake.repo.pulls = [6, 7, 8].map((n) => recordedPull(n, n));
    fake.repo.comments = [recordedComment(101, 1, 1), recordedComment(102, 6, 2)];
    fake.pageSize = 2;
    await service.link({
      repo: '/import/polled',
      repository: 'Codertocat/Hello-World',
      baseUrl: fake.webUrl,
      credentialId,
    });
    const first = await service.sync('/import/polled');
    expect(first).toMatchObject({ issues: 5, pulls: 3, comments: 2, skipped: 0 });
    // Every page was fetched (Link rel="next"), with the token in the header and never in a URL.
    expect(fake.requests.filter((r) => r.url.includes('/issues?')).length).toBe(4);
    expect(fake.requests.filter((r) => r.url.includes('/pulls?')).length).toBe(2);
    expect(fake.requests.every((r) => r.authorization === 'token ghp_secret-token')).toBe(true);
    expect(fake.requests.some((r) => r.url.includes('ghp_'))).toBe(false);

    const issues = await reader.issues('/import/polled', { offset: 0, limit: 50 });
    expect(issues.issues.map((i) => i.number)).toEqual([5, 4, 3, 2, 1]);
    expect(issues.issues[0]).toMatchObject({ state: 'open', user: { login: 'Codertocat' } });
    const pull = await reader.pull('/import/polled', 7);
    expect(pull.pull).toMatchObject({ number: 7, head: { ref: 'changes' }, base: { ref: 'master' } });
    expect(pull.mirror).toEqual({ ref: 'refs/pull/7/head', head: null, base: null });
    expect((await reader.issue('/import/polled', 1)).comments.map((c) => c.body)).toEqual(['comment 101']);

    // Incremental: since moved to the newest time; the next poll asks with it, then gets 304s.
    fake.requests.length = 0;
    await service.sync('/import/polled');
    expect(fake.requests.find((r) => r.url.includes('/issues?'))?.url).toContain(
      `since=${encodeURIComponent(time(8).replace('Z', '.000Z'))}`,
    );
    fake.requests.length = 0;
    const quiet = await service.sync('/import/polled');
    expect(quiet.unchanged).toEqual(['issues', 'pulls', 'comments']);
    expect(fake.requests.map((r) => r.status)).toEqual([304, 304, 304]);

    // A change shows up: the edited issue is stored, the ETag no longer matches.
    fake.repo.issues[0] = { ...recordedIssue(1, 30), state: 'closed', closed_at: time(30) };
    fake.requests.length = 0;
    const changed = await service.sync('/import/polled');
    expect(changed.issues).toBe(1);
    expect((await reader.issue('/import/polled', 1)).issue.state).toBe('closed');

    // Rate limited: waits what retry-after / x-ratelimit-reset say, then goes on.
    fake.requests.length = 0;
    fake.rateLimit(1, { 'retry-after': '2' });
    await service.sync('/import/polled');
    expect(sleeps).toContain(2000);
    fake.rateLimit(1, {
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3),
    });
    await service.sync('/import/polled');
    expect(sleeps.at(-1)).toBeGreaterThan(1000);
    // Too long a wait ends the poll; the link remembers until when.
    fake.rateLimit(1, { 'retry-after': '3600' });
    await expect(service.sync('/import/polled')).rejects.toMatchObject({ code: 'github_rate_limited' });
    const status = await service.status('/import/polled');
    expect(status.lastError).toContain('github_rate_limited');
    expect(Date.parse(status.rateLimitedUntil ?? '')).toBeGreaterThan(Date.now());
    expect(await service.syncAll()).toEqual({ polled: 0, failed: 0 });
    fake.pageSize = 100;
  });

  it('resumes a backfill cut short by a rate limit after the pages it stored', async () => {
    await importRepo('resumed');
    fake.repo.issues = [1, 2, 3, 4, 5, 6].map((n) => recordedIssue(n, n));
    fake.repo.pulls = [];
    fake.repo.comments = [];
    fake.pageSize = 2;
    await service.link({ repo: '/import/resumed', repository: 'o/r', baseUrl: fake.webUrl });
    fake.rateLimit(1, { 'retry-after': '3600' }, 1);
    await expect(service.sync('/import/resumed')).rejects.toMatchObject({ code: 'github_rate_limited' });
    const kept = await reader.issues('/import/resumed', { offset: 0, limit: 50 });
    expect(kept.issues.map((i) => i.number)).toEqual([2, 1]);
    fake.requests.length = 0;
    const resumed = await service.sync('/import/resumed');
    expect(fake.requests[0]?.url).toContain(`since=${encodeURIComponent(time(2).replace('Z', '.000Z'))}`);
    expect(resumed.issues).toBe(5);
    expect((await reader.issues('/import/resumed', { offset: 0, limit: 50 })).issues).toHaveLength(6);
    fake.pageSize = 100;
  });

  it('skips malformed items of a listing and stores the rest', async () => {
    await importRepo('malformed');
    fake.repo.issues = [recordedIssue(1, 1), { ...recordedIssue(2, 2), state: 'weird' }, { number: 'x' }];
    fake.repo.pulls = [];
    fake.repo.comments = [{ ...recordedComment(5, 1, 1), issue_url: 'nope' }];
    await service.link({ repo: '/import/malformed', repository: 'o/r', baseUrl: fake.webUrl });
    const result = await service.sync('/import/malformed');
    expect(result).toMatchObject({ issues: 1, comments: 0, skipped: 3 });
  });

  it('refuses links outside /import, to unknown repositories, twice, or with an ssh key', async () => {
    await storage.repositories.create({ path: '/hosted-one', kind: 'hosted' });
    await importRepo('twice');
    await expect(service.link({ repo: '/hosted-one', repository: 'o/r' })).rejects.toMatchObject({
      code: 'github_not_import',
    });
    await expect(service.link({ repo: '/import/none', repository: 'o/r' })).rejects.toMatchObject({
      code: 'repository_not_found',
    });
    await expect(service.link({ repo: '/import/twice', repository: 'not a repo' })).rejects.toMatchObject({
      code: 'github_repository_invalid',
    });
    await service.link({ repo: '/import/twice', repository: 'https://github.com/o/r.git' });
    await expect(service.link({ repo: '/import/twice', repository: 'o/r' })).rejects.toMatchObject({
      code: 'github_link_exists',
    });
    const tenant = await storage.sync.config.createTenant('gh-ssh');
    const sshId = await storage.sync.config.createCredential(
      { tenant_id: tenant, name: 'key', type: 'ssh_key', username: 'git', known_host: null },
      (id) => new CredentialVault(box).seal(id, 'KEY'),
    );
    await importRepo('ssh');
    await expect(
      service.link({ repo: '/import/ssh', repository: 'o/r', credentialId: sshId }),
    ).rejects.toMatchObject({ code: 'github_credential_unusable' });
    await service.unlink('/import/twice');
    await expect(service.status('/import/twice')).rejects.toMatchObject({ code: 'github_link_not_found' });
  });

  it('links the /import mirror of a sync repository on github.com automatically', async () => {
    const tenant = await storage.sync.config.createTenant('auto');
    const repository = await importRepo('auto-mirror');
    const base = {
      tenant_id: tenant,
      branch: 'main',
      extra_branches: '[]',
      is_public: 1,
      schedule: null,
      depth: null,
      filter: null,
      lfs: 0,
      submodules: 0,
      strict_host_key: 1,
    };
    const syncId = await storage.sync.config.createRepository({
      ...base,
      name: 'auto',
      url: 'https://github.com/Codertocat/Hello-World.git',
      credential_id: credentialId,
      mirror_to: '/import/auto-mirror',
    });
    await storage.sync.config.createRepository({
      ...base,
      name: 'gitlab',
      url: 'https://gitlab.com/a/b.git',
      credential_id: null,
      mirror_to: '/import/polled',
    });
    expect(await service.autoLink()).toBe(1);
    expect(await service.autoLink()).toBe(0);
    const link = await storage.github.links.byRepository(repository.id);
    expect(link).toMatchObject({
      owner: 'codertocat',
      name: 'hello-world',
      source: 'sync',
      sync_repository_id: syncId,
    });
    expect(Number(link?.credential_id)).toBe(credentialId);
  });

  it('verifies webhooks, stores each delivery once, and refuses bad signatures and payloads', async () => {
    await importRepo('hooked');
    const { webhookSecret } = await service.link({
      repo: '/import/hooked',
      repository: 'Codertocat/Hello-World',
    });
    const deliver = async (event: string, payload: unknown, id: string, secret = webhookSecret) => {
      const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
      return service.receiveWebhook({ event, deliveryId: id, signature: await sign(secret, body), body });
    };
    // Every recorded example of the three events is stored; one of another repository is refused
    // (no link of it holds a secret that signed it).
    let n = 0;
    for (const event of ['issues', 'issue_comment', 'pull_request']) {
      for (const example of webhookExamples(event)) {
        const ours = (example.repository as { full_name: string }).full_name === 'Codertocat/Hello-World';
        const outcome = deliver(event, example, `ex-${(n += 1)}`);
        if (ours) expect((await outcome).status).toBe('stored');
        else await expect(outcome).rejects.toMatchObject({ code: 'github_signature_invalid' });
      }
    }
    const opened = webhookExamples('issues').find((e) => e.action === 'opened') as Record<string, unknown>;
    const issueNumber = (opened.issue as { number: number }).number;
    const pulls = await reader.pulls('/import/hooked', { offset: 0, limit: 10 });
    expect(pulls.pulls.length).toBeGreaterThan(0);
    expect(pulls.pulls[0]?.sender.login).toBeTruthy();

    // A replay of a delivery changes nothing, even when the stored row changed meanwhile.
    const edited = {
      ...opened,
      issue: { ...(opened.issue as object), title: 'replayed', updated_at: '2030-01-01T00:00:00Z' },
    };
    expect((await deliver('issues', edited, 'replay-1')).status).toBe('stored');
    const newer = {
      ...opened,
      issue: { ...(opened.issue as object), title: 'newer', updated_at: '2030-01-02T00:00:00Z' },
    };
    expect((await deliver('issues', newer, 'replay-2')).status).toBe('stored');
    expect((await deliver('issues', edited, 'replay-1')).status).toBe('duplicate');
    expect((await reader.issue('/import/hooked', issueNumber)).issue.title).toBe('newer');

    // Deleted: the issue and its comments go.
    const deleted = { ...opened, action: 'deleted' };
    expect((await deliver('issues', deleted, 'del-1')).status).toBe('stored');
    await expect(reader.issue('/import/hooked', issueNumber)).rejects.toMatchObject({
      code: 'github_issue_not_found',
    });

    // Other events are acknowledged and ignored.
    expect((await deliver('ping', { zen: 'hi', repository: opened.repository }, 'ping-1')).status).toBe(
      'ignored',
    );

    const body = JSON.stringify(opened);
    const refuse = (delivery: Partial<Parameters<GithubService['receiveWebhook']>[0]>) =>
      service.receiveWebhook({
        event: 'issues',
        deliveryId: 'bad-1',
        signature: undefined,
        body,
        ...delivery,
      });
    await expect(refuse({})).rejects.toMatchObject({ code: 'github_signature_missing' });
    await expect(refuse({ signature: await sign('wrong-secret-0123456789', body) })).rejects.toMatchObject({
      code: 'github_signature_invalid',
    });
    await expect(refuse({ signature: 'sha1=abc' })).rejects.toMatchObject({
      code: 'github_signature_invalid',
    });
    // The signature covers the exact bytes: one changed byte fails.
    await expect(
      refuse({ signature: await sign(webhookSecret, body), body: body.replace('Codertocat', 'Codertocas') }),
    ).rejects.toMatchObject({ code: 'github_signature_invalid' });
    await expect(
      refuse({ signature: await sign(webhookSecret, body), deliveryId: undefined }),
    ).rejects.toMatchObject({
      code: 'github_delivery_missing',
    });
    await expect(deliver('issues', '{"truncated": ', 'bad-2')).rejects.toMatchObject({
      code: 'github_payload_invalid',
    });
    const malformed = { ...opened, issue: { number: -1 } };
    await expect(deliver('issues', malformed, 'bad-3')).rejects.toMatchObject({
      code: 'github_payload_invalid',
    });
    // Refused deliveries claimed nothing: the same id is processed once it arrives intact.
    expect((await deliver('issues', opened, 'bad-3')).status).toBe('stored');
    expect(await storage.github.links.delivery('bad-1')).toBeUndefined();
  });
});
