import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { makeRepo } from '../../../tests/support/git-fixtures.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { writeBLink } from '../../monorepo/b-link.js';
import { loadGitRepository } from '../../repo/browse/testing/git-object-source.js';
import {
  BlobSchema,
  CommitDetailSchema,
  CommitPageSchema,
  CompareSchema,
  DirectorySchema,
  RefListSchema,
  TreeSchema,
} from './api-schemas.js';
import { ProblemSchema } from './operation.js';
import { buildFixtureServer } from '../../cli/testing/fixture-server.js';

let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;

/** `files` committed `commits` times; each later commit appends `round <n>` to every file. */
function rounds(files: Record<string, string | Buffer>, commits = 1): Array<Record<string, string | Buffer>> {
  return Array.from({ length: commits }, (_, round) =>
    Object.fromEntries(
      Object.entries(files).map(([path, content]) => [
        path,
        round === 0 ? content : `${content.toString()}\nround ${round}\n`,
      ]),
    ),
  );
}

beforeAll(async () => {
  temp = await makeTempDir();
  const directory = join(temp.path, 'dir');
  await makeRepo(
    directory,
    rounds({
      'README.md': '# Mega\n',
      'projects/README.md': 'projects\n',
      'projects/foo': writeBLink({ path: '/projects/foo' }),
      'import/README.md': 'imports\n',
    }),
  );
  const foo = join(temp.path, 'foo');
  await makeRepo(
    foo,
    rounds(
      {
        'src/main.ts': 'export const x = 1;\n',
        'logo.bin': Buffer.from([0, 1, 2]),
        'page.html': '<script>alert(1)</script>\n',
      },
      5,
    ),
  );
  app = await buildFixtureServer(
    { '/': await loadGitRepository(directory), '/projects/foo': await loadGitRepository(foo) },
    join(temp.path, 'data'),
  );
});

afterAll(async () => {
  await app.close();
  await temp.remove();
});

async function get(url: string) {
  const response = await app.inject({ method: 'GET', url });
  return {
    status: response.statusCode,
    body: response.body,
    json: () => response.json(),
    headers: response.headers,
  };
}

describe('REST API', () => {
  it('lists the directory with b-links as repositories and the clone rule', async () => {
    const root = (await get('/api/v1/directory')).json();
    expect(root.shape).toBe('root');
    expect(root.entries.map((e: { name: string; kind: string }) => `${e.kind}:${e.name}`)).toEqual([
      'directory:import',
      'directory:projects',
      'file:README.md',
    ]);
    const projects = (await get('/api/v1/directory?path=/projects')).json();
    expect(projects.entries).toContainEqual(
      expect.objectContaining({ name: 'foo', kind: 'repository', repoPath: '/projects/foo' }),
    );
    expect(projects.clone).toMatchObject({
      allowed: true,
      mode: 'expanded-directory',
      url: 'http://localhost:80/projects.git',
    });
    const imports = (await get('/api/v1/directory?path=/import')).json();
    expect(imports.clone.allowed).toBe(false);
    expect(imports.clone.explanation).toContain('cannot merge several repositories into one');
    const inside = (await get('/api/v1/directory?path=/projects/foo/src')).json();
    expect(inside).toMatchObject({ shape: 'subdirectory', repoPath: '/projects/foo', subdir: 'src' });
  });

  it('refuses bad directory paths in the error shape', async () => {
    for (const path of ['/projects/../etc', '/projects//x', '/nowhere', `/${'a/'.repeat(40)}`]) {
      const response = await get(`/api/v1/directory?path=${encodeURIComponent(path)}`);
      expect([400, 404]).toContain(response.status);
      expect(response.json().code).toMatch(/^directory_path_/);
    }
  });

  it('serves refs, paged commits, tree, blob and raw', async () => {
    const refs = (await get('/api/v1/repos/refs?repo=/projects/foo')).json();
    expect(refs.defaultBranch).toBe('main');
    const page1 = (await get('/api/v1/repos/commits?repo=/projects/foo&limit=2')).json();
    expect(page1.items).toHaveLength(2);
    expect(page1.nextCursor).toBeTypeOf('string');
    expect(page1.prevCursor).toBeUndefined();
    const page2 = (
      await get(`/api/v1/repos/commits?repo=/projects/foo&limit=2&cursor=${page1.nextCursor}`)
    ).json();
    const page3 = (
      await get(`/api/v1/repos/commits?repo=/projects/foo&limit=2&cursor=${page2.nextCursor}`)
    ).json();
    expect(page3.items.map((c: { title: string }) => c.title)).toEqual(['commit 1']);
    expect(page3.nextCursor).toBeUndefined();
    expect(page3.prevCursor).toBe(page1.nextCursor);
    const tree = (await get('/api/v1/repos/tree?repo=projects/foo&ref=main')).json();
    expect(tree.entries.map((e: { name: string }) => e.name)).toEqual(['src', 'logo.bin', 'page.html']);
    const blob = (await get('/api/v1/repos/blob?repo=/projects/foo&path=src/main.ts')).json();
    expect(blob.content).toContain('export const x = 1;');
    expect((await get('/api/v1/repos/blob?repo=/projects/foo&path=logo.bin')).json()).toMatchObject({
      binary: true,
    });
    const raw = await get('/api/v1/repos/raw?repo=/projects/foo&path=logo.bin');
    expect(raw.headers['content-type']).toBe('application/octet-stream');
    expect(raw.headers['x-content-type-options']).toBe('nosniff');
    expect(raw.headers['content-disposition']).toContain('logo.bin');
  });

  it('serves raw HTML as sandboxed plain text, never as a page of this origin', async () => {
    const raw = await get('/api/v1/repos/raw?repo=/projects/foo&path=page.html');
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(raw.headers['content-security-policy']).toContain('sandbox');
    expect(raw.headers['x-content-type-options']).toBe('nosniff');
  });

  it('accepts the same repository spelled with .git or without a leading slash', async () => {
    for (const repo of ['/projects/foo.git', 'projects/foo', '/projects/foo/']) {
      const response = await get(`/api/v1/repos/refs?repo=${encodeURIComponent(repo)}`);
      expect({ repo, status: response.status }).toEqual({ repo, status: 200 });
    }
  });

  it('shows a commit and compares two revisions', async () => {
    const [newest, , , , oldest] = (await get('/api/v1/repos/commits?repo=/projects/foo')).json().items;
    const detail = (await get(`/api/v1/repos/commit?repo=/projects/foo&id=${newest.id}`)).json();
    expect(detail.diff.files[0]).toMatchObject({ path: 'logo.bin', status: 'modified' });
    const compare = (await get(`/api/v1/repos/compare?repo=/projects/foo&from=${oldest.id}&to=main`)).json();
    expect(compare.diff.files.map((f: { path: string }) => f.path)).toEqual([
      'logo.bin',
      'page.html',
      'src/main.ts',
    ]);
  });

  it('answers bad input with 400/404 in one JSON shape', async () => {
    const cases: Array<[string, number, string]> = [
      ['/api/v1/repos/commits?repo=/projects/foo&limit=101', 400, 'query_invalid'],
      ['/api/v1/repos/commits?repo=/projects/foo&limit=1e9', 400, 'query_invalid'],
      ['/api/v1/repos/commits?repo=/projects/foo&limit=0', 400, 'query_invalid'],
      ['/api/v1/repos/commits?repo=/projects/foo&cursor=abc', 400, 'query_invalid'],
      ['/api/v1/repos/commits?repo=/projects/foo&cursor=bzk5OTk5OTk5', 400, 'query_invalid'],
      ['/api/v1/repos/tree?repo=/projects/foo&path=../../etc', 400, 'path_invalid'],
      // NUL anywhere in a URL is refused before routing (src/web/text-input.ts).
      ['/api/v1/repos/blob?repo=/projects/foo&path=src/%00x', 400, 'text_contains_nul'],
      ['/api/v1/repos/blob?repo=/projects/foo&path=missing.txt', 404, 'path_not_found'],
      ['/api/v1/repos/tree?repo=/projects/foo&ref=..%2Fmain', 400, 'revision_invalid'],
      ['/api/v1/repos/tree?repo=/projects/foo&ref=--upload-pack', 400, 'revision_invalid'],
      ['/api/v1/repos/tree?repo=/projects/foo&ref=nope', 404, 'revision_not_found'],
      ['/api/v1/repos/refs?repo=/projects/../foo', 400, 'repo_path_invalid'],
      ['/api/v1/repos/refs?repo=/projects/bar', 404, 'repository_not_found'],
      ['/api/v1/repos/refs', 400, 'query_invalid'],
      [`/api/v1/repos/tree?repo=/projects/foo&path=${'a/'.repeat(3000)}`, 400, 'query_invalid'],
      ['/api/v1/repos/compare?repo=/projects/foo&from=main', 400, 'query_invalid'],
      ['/api/v1/repos/commits?repo=/projects/foo&limit=1.5', 400, 'query_invalid'],
      ['/api/v1/repos/commits?repo=/projects/foo&limit=-3', 400, 'query_invalid'],
      ['/api/v1/repos/commits?repo=/projects/foo&ref=HEAD~1', 400, 'revision_invalid'],
      ['/api/v1/repos/commits?repo=/projects/foo&path=%2e%2e/x', 400, 'path_invalid'],
      ['/api/v1/repos/commit?repo=/projects/foo&id=', 400, 'query_invalid'],
      [
        '/api/v1/repos/commit?repo=/projects/foo&id=0000000000000000000000000000000000000000',
        404,
        'revision_not_found',
      ],
      ['/api/v1/repos/refs?repo=%2e%2e%2fetc', 400, 'repo_path_invalid'],
      ['/api/v1/repos/refs?repo=/projects/foo%00', 400, 'text_contains_nul'],
      [`/api/v1/repos/refs?repo=/${'x'.repeat(2000)}`, 400, 'query_invalid'],
      [`/api/v1/repos/tree?repo=/projects/foo&ref=${'a'.repeat(300)}`, 400, 'query_invalid'],
      ['/api/v1/repos/blob?repo=/projects/foo&path=src', 400, 'path_not_file'],
    ];
    for (const [url, status, code] of cases) {
      const response = await get(url);
      expect({ url, status: response.status, code: response.json().code }).toEqual({
        url,
        status,
        code,
      });
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ status, code, instance: url.split('?')[0] });
    }
  });

  it('answers in the shapes its route declarations (and so the OpenAPI document) name', async () => {
    const ids = (await get('/api/v1/repos/commits?repo=/projects/foo'))
      .json()
      .items.map((commit: { id: string }) => commit.id);
    const [newest, oldest] = [ids[0], ids[ids.length - 1]];
    const cases: Array<[string, z.ZodType]> = [
      ['/api/v1/directory', DirectorySchema],
      ['/api/v1/directory?path=/projects/foo/src', DirectorySchema],
      ['/api/v1/repos/refs?repo=/projects/foo', RefListSchema],
      ['/api/v1/repos/commits?repo=/projects/foo&limit=2', CommitPageSchema],
      [`/api/v1/repos/commit?repo=/projects/foo&id=${newest}`, CommitDetailSchema],
      [`/api/v1/repos/compare?repo=/projects/foo&from=${oldest}&to=main`, CompareSchema],
      ['/api/v1/repos/tree?repo=/projects/foo', TreeSchema],
      ['/api/v1/repos/blob?repo=/projects/foo&path=src/main.ts', BlobSchema],
      ['/api/v1/repos/blob?repo=/projects/foo&path=logo.bin', BlobSchema],
      ['/api/v1/repos/refs?repo=/nowhere', ProblemSchema],
      ['/api/v1/repos/commits?repo=/projects/foo&cursor=0', ProblemSchema],
    ];
    for (const [url, schema] of cases) {
      const parsed = schema.safeParse((await get(url)).json());
      expect(parsed.success ? [] : parsed.error.issues, url).toEqual([]);
    }
  });

  it('serves the OpenAPI document and its docs page', async () => {
    const document = (await get('/api/openapi.json')).json();
    expect(document.openapi).toBe('3.1.0');
    for (const path of [
      '/api/v1/directory',
      '/api/v1/repos/commits',
      '/api/v1/repos/compare',
      '/api/v1/user/tokens',
      '/api/v1/merge-requests/{number}/merge',
      '/api/v1/sync/tenants/{tenant}/logs',
      '/api/v1/sync/tenants/{tenant}/summary',
    ]) {
      expect(Object.keys(document.paths)).toContain(path);
    }
    // Every $ref names a schema the document defines.
    const refs = [...JSON.stringify(document).matchAll(/"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]);
    for (const name of refs) expect(document.components.schemas).toHaveProperty(name as string);
    const repoBody = document.paths['/api/v1/sync/tenants/{tenant}/repositories'].post.requestBody;
    expect(repoBody.content['application/json'].schema.properties).toHaveProperty('url');
    const docs = await get('/api/docs');
    expect(docs.headers['content-type']).toContain('text/html');
    expect(docs.body).toContain('/api/v1/directory');
    expect(docs.body).toMatch(/<code>url<\/code><\/td><td>body<\/td><td>yes<\/td>/);
    expect(docs.body).not.toMatch(/<script|https?:\/\/(?!mega\.com)/);
  });

  it('requires a token when anonymous reads are off', async () => {
    const locked = await buildFixtureServer({}, join(temp.path, 'data-locked'), { anonymousRead: false });
    const response = await locked.inject({ method: 'GET', url: '/api/v1/repos/refs?repo=/x' });
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('authentication_required');
    await locked.close();
  });
});
