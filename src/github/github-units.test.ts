import { describe, expect, it } from 'vitest';
import { createLogger } from '../platform/logger.js';
import { nextLink, rateLimitWait } from './github-client.js';
import { parseGithubLocation } from './github-location.js';
import { GithubPollScheduler } from './github-poll-scheduler.js';
import { commentNumber, CommentSchema, issueValues, IssueSchema, parsePayload } from './github-payloads.js';
import { recordedComment, recordedIssue } from '../../tests/support/fake-github.js';

describe('GitHub locations', () => {
  it('reads owner/name, web and clone URLs on github.com', () => {
    for (const text of [
      'octo-org/hello.world',
      'https://github.com/octo-org/hello.world',
      'https://github.com/octo-org/hello.world.git',
      'git@github.com:octo-org/hello.world.git',
      'ssh://git@github.com/octo-org/hello.world.git',
    ]) {
      expect(parseGithubLocation(text), text).toEqual({
        apiUrl: 'https://api.github.com',
        webUrl: 'https://github.com',
        owner: 'octo-org',
        name: 'hello.world',
      });
    }
  });

  it('uses /api/v3 of a GitHub Enterprise Server and refuses other hosts and hostile names', () => {
    expect(parseGithubLocation('https://ghe.example.com/team/tool', 'https://ghe.example.com/')).toEqual({
      apiUrl: 'https://ghe.example.com/api/v3',
      webUrl: 'https://ghe.example.com',
      owner: 'team',
      name: 'tool',
    });
    expect(parseGithubLocation('a/b', 'https://ghe.example.com/api/v3').apiUrl).toBe(
      'https://ghe.example.com/api/v3',
    );
    for (const [text, base] of [
      ['https://gitlab.com/a/b', undefined],
      ['git@gitlab.com:a/b.git', undefined],
      ['a/b/c', undefined],
      ['../b', undefined],
      ['a/..', undefined],
      ['-a/b', undefined],
      ['https://user:pw@github.com/a/b', undefined],
      ['file:///etc/passwd', undefined],
      ['a/b', 'ftp://ghe.example.com'],
      ['a/b', 'https://token@ghe.example.com'],
      ['a/b\nc', undefined],
    ] as const) {
      expect(() => parseGithubLocation(text, base), text).toThrow(
        expect.objectContaining({ code: 'github_repository_invalid' }),
      );
    }
  });
});

describe('GitHub client headers', () => {
  it('finds rel="next" in a Link header', () => {
    expect(nextLink('<https://x/a?page=2>; rel="next", <https://x/a?page=9>; rel="last"')).toBe(
      'https://x/a?page=2',
    );
    expect(nextLink('<https://x/a?page=1>; rel="prev"')).toBeUndefined();
    expect(nextLink(undefined)).toBeUndefined();
  });

  it('reads how long a rate limit asks to wait', () => {
    expect(rateLimitWait({ 'retry-after': '7' }, 0)).toBe(7000);
    expect(rateLimitWait({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '100' }, 40_000)).toBe(60_000);
    expect(rateLimitWait({ 'x-ratelimit-remaining': '0' }, 0)).toBe(60_000);
    expect(rateLimitWait({ 'x-ratelimit-remaining': '12' }, 0)).toBeUndefined();
    expect(rateLimitWait({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }, 0)).toBeUndefined();
  });
});

describe('GitHub payloads', () => {
  it('maps a recorded issue to the seed columns, author as sender when there is no event', () => {
    const issue = parsePayload(
      IssueSchema,
      { ...recordedIssue(4, 1), title: 'x'.repeat(300) + '😀' },
      'issue',
    );
    const values = issueValues(issue, { id: 1, path: '/import/x' });
    expect(values).toMatchObject({
      number: 4,
      state: 'open',
      user_name: 'Codertocat',
      sender_name: 'Codertocat',
    });
    expect([...values.title]).toHaveLength(255);
    expect(values.updated_at).toBe('2026-01-01T00:01:00.000Z');
    const evented = issueValues(issue, { id: 1, path: '/import/x' }, { login: 'hubot', id: 9 });
    expect(evented).toMatchObject({ sender_name: 'hubot', sender_id: 9, user_name: 'Codertocat' });
    expect(issueValues({ ...issue, user: null }, { id: 1, path: '/x' }).user_name).toBe('ghost');
  });

  it('refuses malformed objects with the first problem', () => {
    expect(() => parsePayload(IssueSchema, { ...recordedIssue(1, 1), number: '1' }, 'issue')).toThrow(
      expect.objectContaining({
        code: 'github_payload_invalid',
        details: expect.objectContaining({ path: 'number' }),
      }),
    );
    expect(() =>
      parsePayload(IssueSchema, { ...recordedIssue(1, 1), updated_at: 'yesterday' }, 'issue'),
    ).toThrow();
    expect(() => parsePayload(IssueSchema, null, 'issue')).toThrow();
    const comment = parsePayload(CommentSchema, recordedComment(1, 12, 1), 'comment');
    expect(commentNumber(comment)).toBe(12);
    expect(() => commentNumber({ ...comment, issue_url: 'https://x/issues/1/../2' })).toThrow();
  });
});

describe('GitHub poll scheduler', () => {
  it('polls a slot only on the server that takes its lease', async () => {
    const taken = new Set<string>();
    const calls: string[] = [];
    const scheduler = (holderId: string, schedule = '@every 10m') =>
      new GithubPollScheduler({
        service: {
          autoLink: async () => (calls.push(`${holderId}:link`), 0),
          syncAll: async () => (calls.push(`${holderId}:poll`), { polled: 1, failed: 0 }),
        },
        leases: {
          tryAcquire: async (name) => (taken.has(name) ? false : (taken.add(name), true)),
        },
        logger: createLogger({ level: 'silent' }),
        schedule,
        holderId,
      });
    const slot = new Date(Date.UTC(2026, 0, 1));
    expect(await scheduler('a').fire(slot)).toBe(true);
    expect(await scheduler('b').fire(slot)).toBe(false);
    expect(calls).toEqual(['a:link', 'a:poll']);
    expect(scheduler('c', 'off').start()).toBe(false);
    expect(() => scheduler('d', 'every day').start()).toThrow(
      expect.objectContaining({ code: 'schedule_invalid' }),
    );
  });
});
