import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { git, gitText } from '../support/git-cli.js';
import { serviceAvailable } from '../support/services.js';
import { clone, startDirectoryServer, type DirectoryServer } from '../monorepo/harness.js';
import { makeRepo } from '../support/git-fixtures.js';

const DIALECTS = [
  ['sqlite', true],
  ['postgres', await serviceAvailable('postgres')],
  ['mysql', await serviceAvailable('mysql')],
] as const;

interface Answer {
  readonly status: number;
  readonly body: { code?: string; detail?: string } & Record<string, unknown>;
}

async function request(
  url: string,
  options: { method?: string; token?: string; json?: unknown; contentType?: string } = {},
): Promise<Answer> {
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.json !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}),
    },
    ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

function expectNulRefused(answer: Answer, where: RegExp): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(400);
  expect(answer.body.code).toBe('text_contains_nul');
  expect(answer.body.detail).toMatch(where);
}

/**
 * NUL in text input: PostgreSQL cannot store it, SQLite and MySQL can. Every database must answer
 * alike: a 400 naming the input for REST, and a safe title for a merge request whose commit
 * message (git allows NUL in a message body) holds one.
 */
for (const [dialect, available] of DIALECTS) {
  describe.skipIf(!available)(`NUL bytes in text input [${dialect}]`, () => {
    let mega: DirectoryServer;
    let scratch: ScratchDatabase | undefined;
    const url = (path: string) => `${mega.server.url}${path}`;

    beforeAll(async () => {
      // git's fsck at --strict strength refuses NUL in a commit body (nulInCommit, `man git-fsck`);
      // an installation with such history relaxes it, as git's receive.fsck.nulInCommit=ignore
      // does, and then the message reaches a merge request title. That is the case tested here.
      const env: Record<string, string> = { MEGA_FSCK_IGNORE: 'nulInCommit' };
      if (dialect !== 'sqlite') {
        scratch = await createScratchDatabase(dialect, { migrate: false });
        env.MEGA_DATABASE_URL = scratch.url;
      }
      mega = await startDirectoryServer({ env });
      const foo = join(mega.work, 'foo');
      await makeRepo(foo, [{ 'README.md': '# foo\n', 'src/a.txt': 'a1\n' }]);
      await git(['push', url('/projects/foo'), 'main'], { ...mega.as.alice, cwd: foo });
    });
    afterAll(async () => {
      await mega?.stop();
      await scratch?.drop();
    });

    it.each([
      ['/api/v1/merge-requests?author=%00'],
      ['/api/v1/merge-requests?path=/projects%00/foo'],
      ['/api/v1/merge-requests/%00'],
      ['/api/v1/sync/tenants/1/logs?worker_id=a%00b'],
      ['/api/v1/sync/tenants/1/logs?error_class=%00'],
      ['/api/v1/repos/refs?repo=/projects/foo%00'],
      ['/api/v1/repos/tree?repo=/projects/foo&path=src%00'],
      ['/api/v1/directory?path=%00'],
    ])('refuses %s with 400', async (path) => {
      expectNulRefused(
        await request(url(path), { token: mega.tokens.alice }),
        /URL contains a NUL character/,
      );
    });

    it('refuses a JSON body with NUL in a value or a key, naming the field', async () => {
      const token = mega.tokens.alice;
      expectNulRefused(
        await request(url('/api/v1/user/tokens'), { method: 'POST', token, json: { name: 'ci\u0000bot' } }),
        /NUL character in name/,
      );
      expectNulRefused(
        await request(url('/api/v1/sync/tenants'), {
          method: 'POST',
          token,
          json: { name: 't', 'x\u0000': 1 },
        }),
        /NUL character in x\\0/,
      );
      expectNulRefused(
        await request(url('/projects/foo.git/info/lfs/objects/batch'), {
          method: 'POST',
          token,
          contentType: 'application/vnd.git-lfs+json',
          json: { operation: 'download', objects: [{ oid: '\u0000', size: 1 }] },
        }),
        /NUL character in objects\[0\]\.oid/,
      );
      // The same request without NUL is served: the check refuses only what it must.
      expect((await request(url('/api/v1/merge-requests?author=alice'), { token })).status).toBe(200);
    });

    it('a pushed commit whose message holds NUL opens a merge request with a clean title', async () => {
      const dir = join(mega.work, 'nul-commit');
      expect((await clone(url('/projects/foo'), dir)).code).toBe(0);
      await writeFile(join(dir, 'src/a.txt'), 'a2\n');
      await git(['add', '-A'], { cwd: dir });
      const tree = await gitText(['write-tree'], { cwd: dir });
      const parent = await gitText(['rev-parse', 'HEAD'], { cwd: dir });
      const who = 'Test Author <author@example.com> 1700000000 +0000';
      // git commit refuses NUL in a message, so the commit is written as raw bytes.
      const raw = `tree ${tree}\nparent ${parent}\nauthor ${who}\ncommitter ${who}\n\nfix\u0000 the bug\n\nbody \u0000 too\n`;
      const commit = (
        await git(['hash-object', '-t', 'commit', '-w', '--literally', '--stdin'], { cwd: dir, input: raw })
      ).stdout
        .toString()
        .trim();
      await git(['update-ref', 'refs/heads/main', commit], { cwd: dir });
      const pushed = await git(['push', url('/projects/foo'), 'main'], {
        ...mega.as.alice,
        cwd: dir,
        check: false,
      });
      expect(pushed.stderr).not.toMatch(/internal server error|hung up|RPC failed/);
      expect(pushed.code, pushed.stderr).toBe(0);
      const number = /remote: merge request !(\d+)/.exec(pushed.stderr)?.[1];
      expect(number, pushed.stderr).toBeDefined();
      const detail = await request(url(`/api/v1/merge-requests/${number}`), { token: mega.tokens.alice });
      expect(detail.status).toBe(200);
      expect(detail.body.title).toBe('fix the bug');
    });
  });
}
