import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText } from '../support/git-cli.js';
import { makeRepo } from '../support/git-fixtures.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { serviceAvailable } from '../support/services.js';
import {
  clone,
  filesOf,
  fsckStrict,
  plainUser,
  startDirectoryServer,
  type DirectoryServer,
} from '../monorepo/harness.js';

/**
 * The commits API (issue 22) against `mega serve` with the real git client: file actions under
 * `/projects` open a merge request exactly as a push would, under `/import` they move the branch,
 * and bad input is refused with a code before anything is stored.
 */
type Json = Record<string, unknown>;

async function call(
  mega: DirectoryServer,
  method: 'GET' | 'POST',
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${mega.server.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

async function headOf(mega: DirectoryServer, path: string): Promise<string> {
  const answer = await call(
    mega,
    'GET',
    `/api/v1/commits/head?path=${encodeURIComponent(path)}`,
    mega.tokens.alice,
  );
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.head as string;
}

const errorCode = (body: Json) => body.code as string | undefined;

async function seed(mega: DirectoryServer): Promise<void> {
  await makeRepo(join(mega.work, 'foo'), [
    {
      'README.md': '# foo\n',
      'src/a.txt': 'a1\n',
      'src/b.txt': 'b1\n',
      'old/name.txt': 'moved\n',
      'run.sh': 'echo hi\n',
    },
  ]);
  await git(['push', `${mega.server.url}/projects/foo`, 'main'], {
    ...mega.as.alice,
    cwd: join(mega.work, 'foo'),
  });
  await makeRepo(join(mega.work, 'bar'), [{ 'bar.txt': 'bar1\n' }]);
  await git(['push', `${mega.server.url}/import/bar`, 'main'], {
    ...mega.as.alice,
    cwd: join(mega.work, 'bar'),
  });
}

const DATABASES = [
  'sqlite',
  ...((await serviceAvailable('postgres')) ? ['postgres' as const] : []),
  ...((await serviceAvailable('mysql')) ? ['mysql' as const] : []),
] as const;

describe.each(DATABASES)('commits API on %s', (database) => {
  let mega: DirectoryServer;
  let scratch: ScratchDatabase | undefined;

  beforeAll(async () => {
    scratch = database === 'sqlite' ? undefined : await createScratchDatabase(database);
    mega = await startDirectoryServer(scratch ? { env: { MEGA_DATABASE_URL: scratch.url } } : {});
    await seed(mega);
  });
  afterAll(async () => {
    await mega?.stop();
    await scratch?.drop();
  });

  it('/projects/foo: create, update, delete, move and chmod open a merge request; merged, a clone shows them', async () => {
    const base = await headOf(mega, '/projects/foo');
    const created = await call(mega, 'POST', '/api/v1/commits', mega.tokens.alice, {
      path: '/projects/foo',
      base,
      message: 'edit through the API',
      title: 'API edit',
      actions: [
        { action: 'create', filePath: 'docs/new.md', content: '# new\n' },
        { action: 'update', filePath: 'src/a.txt', content: 'a2\n' },
        { action: 'delete', filePath: 'src/b.txt' },
        { action: 'move', previousPath: 'old/name.txt', filePath: 'new/name.txt' },
        { action: 'chmod', filePath: 'run.sh', executeFilemode: true },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.outcome).toBe('merge_request');
    const mr = created.body.mergeRequest as { number: number; url: string };
    expect(mr.url).toBe(`${mega.server.url}/ui/merge-requests/${mr.number}`);

    const shown = await call(mega, 'GET', `/api/v1/merge-requests/${mr.number}`);
    expect(shown.body.status).toBe('open');
    const diffs = shown.body.diffs as Array<{ repoPath: string; diff: { files: Array<{ path: string }> } }>;
    expect(diffs.map((diff) => diff.repoPath)).toEqual(['/projects/foo']);
    expect(diffs[0]?.diff.files.map((file) => file.path).sort()).toEqual(
      ['docs/new.md', 'new/name.txt', 'old/name.txt', 'run.sh', 'src/a.txt', 'src/b.txt'].sort(),
    );
    // Nothing moved before the merge.
    expect(await headOf(mega, '/projects/foo')).toBe(base);

    const merged = await call(mega, 'POST', `/api/v1/merge-requests/${mr.number}/merge`, mega.tokens.bob);
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    const dir = join(mega.work, `${database}-foo`);
    expect((await clone(`${mega.server.url}/projects/foo`, dir)).code).toBe(0);
    await fsckStrict(dir);
    expect(await filesOf(dir)).toEqual(['README.md', 'docs/new.md', 'new/name.txt', 'run.sh', 'src/a.txt']);
    expect(await readFile(join(dir, 'src/a.txt'), 'utf8')).toBe('a2\n');
    expect(await readFile(join(dir, 'new/name.txt'), 'utf8')).toBe('moved\n');
    expect(await gitText(['ls-files', '-s', 'run.sh'], { cwd: dir })).toMatch(/^100755 /);
  });

  it('/import/bar: the branch moves directly and git fetch sees the commit; a stale base is 409 with the head', async () => {
    const base = await headOf(mega, '/import/bar');
    const moved = await call(mega, 'POST', '/api/v1/commits', mega.tokens.alice, {
      path: '/import/bar',
      branch: 'refs/heads/main',
      base,
      message: 'bar through the API',
      author: { name: 'Alice Example', email: 'alice@example.com' },
      actions: [{ action: 'update', filePath: 'bar.txt', content: 'bar2\n' }],
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(201);
    expect(moved.body.outcome).toBe('branch');
    const commit = moved.body.commit as string;
    expect(await headOf(mega, '/import/bar')).toBe(commit);

    const dir = join(mega.work, 'bar');
    await git(['fetch', '-q', `${mega.server.url}/import/bar`, 'main'], { cwd: dir });
    expect((await gitText(['rev-parse', 'FETCH_HEAD'], { cwd: dir })).trim()).toBe(commit);
    expect((await gitText(['show', 'FETCH_HEAD:bar.txt'], { cwd: dir })).trim()).toBe('bar2');
    expect(await gitText(['log', '-1', '--format=%an <%ae>|%P', 'FETCH_HEAD'], { cwd: dir })).toBe(
      `Alice Example <alice@example.com>|${base}`,
    );

    const stale = await call(mega, 'POST', '/api/v1/commits', mega.tokens.alice, {
      path: '/import/bar',
      base,
      message: 'again on the old head',
      actions: [{ action: 'update', filePath: 'bar.txt', content: 'bar3\n' }],
    });
    expect(stale.status).toBe(409);
    expect(errorCode(stale.body)).toBe('stale_base');
    expect(stale.body.head).toBe(commit);
  });
});

describe('commits API refusals', () => {
  let mega: DirectoryServer;
  let base: string;
  const commit = (body: Json, token: string | null = mega.tokens.alice) =>
    call(mega, 'POST', '/api/v1/commits', token ?? undefined, {
      path: '/projects/foo',
      base,
      message: 'm',
      ...body,
    });

  beforeAll(async () => {
    mega = await startDirectoryServer();
    await seed(mega);
    base = await headOf(mega, '/projects/foo');
  });
  afterAll(async () => {
    await mega?.stop();
  });

  it('anonymous callers get 401, a reader without write 403, a hidden or missing path 404', async () => {
    const action = [{ action: 'create', filePath: 'x.txt', content: 'x\n' }];
    expect((await commit({ actions: action }, null)).status).toBe(401);
    const reader = await plainUser(mega, 'carol');
    const noWrite = await commit({ actions: action }, reader.token);
    expect(noWrite.status, JSON.stringify(noWrite.body)).toBe(403);
    const missing = await commit({ path: '/projects/nothing-here', actions: action });
    expect(missing.status).toBe(404);
  });

  it.each([
    ['../escape.txt', 'file_path_invalid'],
    ['src/../../x', 'file_path_invalid'],
    ['/abs.txt', 'file_path_invalid'],
    ['a//b.txt', 'file_path_invalid'],
    ['dir/', 'file_path_invalid'],
    ['.git/config', 'file_path_invalid'],
    ['src/.GIT/hooks', 'file_path_invalid'],
    ['./a.txt', 'file_path_invalid'],
  ])('refuses the path %s', async (path, code) => {
    const answer = await commit({ actions: [{ action: 'create', filePath: path, content: 'x\n' }] });
    expect(answer.status).toBe(400);
    expect(errorCode(answer.body)).toBe(code);
  });

  it('refuses what does not match the tree: existing, missing, duplicate, below a file, no change', async () => {
    const cases: Array<[Json[], number, string]> = [
      [[{ action: 'create', filePath: 'src/a.txt', content: 'x\n' }], 409, 'file_exists'],
      [[{ action: 'update', filePath: 'nope.txt', content: 'x\n' }], 409, 'file_missing'],
      [[{ action: 'delete', filePath: 'nope.txt' }], 409, 'file_missing'],
      [[{ action: 'move', previousPath: 'nope.txt', filePath: 'x.txt' }], 409, 'file_missing'],
      [[{ action: 'chmod', filePath: 'src', executeFilemode: true }], 409, 'file_path_conflict'],
      [[{ action: 'create', filePath: 'README.md/x', content: 'x\n' }], 409, 'file_path_conflict'],
      [
        [
          { action: 'update', filePath: 'src/a.txt', content: 'x\n' },
          { action: 'delete', filePath: 'src/a.txt' },
        ],
        400,
        'commit_duplicate_path',
      ],
      [[{ action: 'update', filePath: 'src/a.txt', content: 'a1\n' }], 400, 'commit_empty'],
      [[{ action: 'delete', filePath: 'x.txt', content: 'x' }], 400, 'body_invalid'],
      [[{ action: 'update', filePath: 'src/a.txt' }], 400, 'body_invalid'],
      [[{ action: 'chmod', filePath: 'run.sh' }], 400, 'body_invalid'],
      [[{ action: 'rename', filePath: 'run.sh' }], 400, 'body_invalid'],
      [[], 400, 'body_invalid'],
    ];
    for (const [actions, status, code] of cases) {
      const answer = await commit({ actions });
      expect(answer.status, JSON.stringify(actions)).toBe(status);
      expect(errorCode(answer.body), JSON.stringify(answer.body)).toBe(code);
    }
    expect(await headOf(mega, '/projects/foo')).toBe(base);
  });

  it('refuses binary content, in text and in base64', async () => {
    const text = await commit({ actions: [{ action: 'create', filePath: 'bin.dat', content: 'a\u0000b' }] });
    expect(text.status).toBe(400);
    const encoded = await commit({
      actions: [
        {
          action: 'create',
          filePath: 'bin.dat',
          encoding: 'base64',
          content: Buffer.from([1, 0, 2]).toString('base64'),
        },
      ],
    });
    expect(encoded.status).toBe(400);
    expect(errorCode(encoded.body)).toBe('binary_content');
    const badBase64 = await commit({
      actions: [{ action: 'create', filePath: 'b.txt', encoding: 'base64', content: 'not base64!' }],
    });
    expect(errorCode(badBase64.body)).toBe('body_invalid');
    const fine = await commit({
      actions: [
        {
          action: 'create',
          filePath: 'crlf.txt',
          encoding: 'base64',
          content: Buffer.from('a\r\nb\r\n').toString('base64'),
        },
      ],
    });
    expect(fine.status, JSON.stringify(fine.body)).toBe(201);
  });

  it('refuses payloads over the limits with 413', async () => {
    const many = Array.from({ length: 101 }, (_, i) => ({
      action: 'create',
      filePath: `many/${i}.txt`,
      content: 'x\n',
    }));
    const tooMany = await commit({ actions: many });
    expect(tooMany.status).toBe(413);
    expect(errorCode(tooMany.body)).toBe('commit_too_many_actions');
    const big = 'x'.repeat(10 * 1024 * 1024 + 1);
    const oneTooBig = await commit({ actions: [{ action: 'create', filePath: 'big.txt', content: big }] });
    expect(oneTooBig.status).toBe(413);
    expect(errorCode(oneTooBig.body)).toBe('commit_file_too_large');
    const mib = 'y'.repeat(1024 * 1024);
    const total = await commit({
      actions: Array.from({ length: 11 }, (_, i) => ({
        action: 'create',
        filePath: `t/${i}.txt`,
        content: mib,
      })),
    });
    expect(total.status).toBe(413);
    expect(errorCode(total.body)).toBe('commit_too_large');
  });

  it('refuses a change outside any repository of a directory view, like a push', async () => {
    const projects = await headOf(mega, '/projects');
    const answer = await call(mega, 'POST', '/api/v1/commits', mega.tokens.alice, {
      path: '/projects',
      base: projects,
      message: 'outside',
      actions: [{ action: 'create', filePath: 'loose-dir/x.txt', content: 'x\n' }],
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(403);
    expect(errorCode(answer.body)).toBe('commit_refused');
  });

  it('/ follows the root push rule: a README changes directly, any other file is refused', async () => {
    const root = await headOf(mega, '/');
    const readme = await call(mega, 'POST', '/api/v1/commits', mega.tokens.alice, {
      path: '/',
      base: root,
      message: 'root readme',
      actions: [{ action: 'update', filePath: 'README.md', content: '# Mega\n\nedited through the API\n' }],
    });
    expect(readme.status, JSON.stringify(readme.body)).toBe(201);
    expect(readme.body.outcome).toBe('branch');
    const other = await call(mega, 'POST', '/api/v1/commits', mega.tokens.alice, {
      path: '/',
      base: readme.body.commit,
      message: 'not a readme',
      actions: [{ action: 'create', filePath: 'notes.txt', content: 'x\n' }],
    });
    expect(other.status).toBe(403);
    expect(errorCode(other.body)).toBe('commit_refused');
    expect(other.body.detail as string).toMatch(/only README files of directories can change/);
    expect(await headOf(mega, '/')).toBe(readme.body.commit);
  });

  it('refuses a bad base, message or author', async () => {
    const actions = [{ action: 'create', filePath: 'z.txt', content: 'z\n' }];
    expect(errorCode((await commit({ base: 'HEAD', actions })).body)).toBe('body_invalid');
    expect(errorCode((await commit({ base: '0'.repeat(40), actions })).body)).toBe('stale_base');
    expect(errorCode((await commit({ message: '  ', actions })).body)).toBe('commit_message_invalid');
    expect(errorCode((await commit({ author: { name: 'a<b', email: 'x@y' }, actions })).body)).toBe(
      'commit_author_invalid',
    );
    expect(errorCode((await commit({ branch: 'refs/tags/v1', actions })).body)).toBe('branch_invalid');
  });
});

describe('commits API above MEGA_CLONE_LIMIT', () => {
  let mega: DirectoryServer;
  beforeAll(async () => {
    mega = await startDirectoryServer({ env: { MEGA_CLONE_LIMIT: '2000' } });
    await makeRepo(join(mega.work, 'big'), [{ 'blob.txt': 'x'.repeat(5000), 'notes.md': 'n1\n' }]);
    await git(['push', `${mega.server.url}/projects/big`, 'main'], {
      ...mega.as.alice,
      cwd: join(mega.work, 'big'),
    });
  });
  afterAll(async () => {
    await mega?.stop();
  });

  it('the 413 names the commits API, which changes the directory without a clone', async () => {
    const result = await clone(`${mega.server.url}/projects`, join(mega.work, 'p'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/clone a narrower path.*commits API \(POST \/api\/v1\/commits/);
    const base = await headOf(mega, '/projects');
    const answer = await call(mega, 'POST', '/api/v1/commits', mega.tokens.alice, {
      path: '/projects',
      base,
      message: 'notes without a clone',
      actions: [{ action: 'update', filePath: 'big/notes.md', content: 'n2\n' }],
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    const mr = answer.body.mergeRequest as { number: number };
    expect(
      (await call(mega, 'POST', `/api/v1/merge-requests/${mr.number}/merge`, mega.tokens.bob)).status,
    ).toBe(200);
    const dir = join(mega.work, 'big-after');
    expect((await clone(`${mega.server.url}/projects/big`, dir)).code).toBe(0);
    expect(await readFile(join(dir, 'notes.md'), 'utf8')).toBe('n2\n');
    // Still refused to clone.
    expect((await clone(`${mega.server.url}/projects`, join(mega.work, 'p2'))).code).not.toBe(0);
  });
});
