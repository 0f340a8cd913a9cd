import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo } from '../../../tests/support/git-fixtures.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { loadGitRepository } from '../../repo/browse/testing/git-object-source.js';
import { buildFixture } from '../../cli/testing/fixture-server.js';
import { parseLfsPointer } from './lfs-pointer.js';
import { contentDisposition } from './raw-routes.js';

const REAL = Buffer.from('the real content of a large file\n'.repeat(100));
const OID = createHash('sha256').update(REAL).digest('hex');
const pointer = (oid: string, size: number) =>
  `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;
const MISSING = 'f'.repeat(64);

let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;

beforeAll(async () => {
  temp = await makeTempDir();
  const foo = join(temp.path, 'foo');
  await makeRepo(foo, [
    {
      'big.bin': pointer(OID, REAL.length),
      'gone.bin': pointer(MISSING, 12),
      'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]),
      'art.svg': '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>\n',
      'page.html': '<script>alert(1)</script>\n',
      'blob.dat': Buffer.from([0, 1, 2, 3]),
      'naïve "name".txt': 'hello\n',
      'odd.constructor': Buffer.from([0, 1]),
      'big.txt': 'x'.repeat(5000),
    },
  ]);
  const fixture = await buildFixture(
    { '/projects/foo': await loadGitRepository(foo) },
    join(temp.path, 'data'),
  );
  app = fixture.app;
  await fixture.storage.lfsBlobs.put(OID, () => Readable.from([REAL]), REAL.length);
  await fixture.storage.lfs.recordObject('/projects/foo', OID, REAL.length, new Date().toISOString());
});

afterAll(async () => {
  await app.close();
  await temp.remove();
});

const raw = (path: string, extra = '', headers: Record<string, string> = {}) =>
  app.inject({
    method: 'GET',
    url: `/api/v1/repos/raw?repo=/projects/foo&path=${encodeURIComponent(path)}${extra}`,
    headers,
  });

describe('GET /api/v1/repos/raw', () => {
  it('resolves an LFS pointer to the object in the store', async () => {
    const response = await raw('big.bin');
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(REAL)).toBe(true);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.headers['content-length']).toBe(String(REAL.length));
    expect(response.headers.etag).toBe(`"lfs-${OID}"`);
    const again = await raw('big.bin', '', { 'if-none-match': `"lfs-${OID}"` });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('serves the pointer itself when the store lacks its object', async () => {
    const response = await raw('gone.bin');
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(pointer(MISSING, 12));
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('types images by extension; SVG stays sandboxed', async () => {
    const png = await raw('logo.png');
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.headers['content-disposition']).toBeUndefined();
    const svg = await raw('art.svg');
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.headers['content-security-policy']).toContain('sandbox');
    expect(svg.headers['content-security-policy']).not.toContain('script');
    expect(svg.headers['x-content-type-options']).toBe('nosniff');
  });

  it('never serves HTML as a page; other binaries and download=1 are attachments', async () => {
    const html = await raw('page.html');
    expect(html.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(html.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    const dat = await raw('blob.dat');
    expect(dat.headers['content-type']).toBe('application/octet-stream');
    expect(dat.headers['content-disposition']).toContain('attachment');
    const download = await raw('logo.png', '&download=1');
    expect(download.headers['content-type']).toBe('application/octet-stream');
    expect(download.headers['content-disposition']).toBe(
      'attachment; filename="logo.png"; filename*=UTF-8\'\'logo.png',
    );
    const named = await raw('naïve "name".txt', '&download=true');
    expect(named.headers['content-disposition']).toBe(
      `attachment; filename="na_ve _name_.txt"; filename*=UTF-8''na%C3%AFve%20%22name%22.txt`,
    );
    expect(contentDisposition('a\r\nb')).not.toMatch(/[\r\n]/);
  });

  it('answers If-None-Match with 304 for streamed files too', async () => {
    const first = await raw('big.txt');
    expect(first.statusCode).toBe(200);
    expect(first.body).toBe('x'.repeat(5000));
    const again = await raw('big.txt', '', { 'if-none-match': String(first.headers.etag) });
    expect(again.statusCode).toBe(304);
    // The released reader leaves the server serving the next request normally.
    expect((await raw('big.txt')).body).toBe('x'.repeat(5000));
  });

  it('never takes an extension for a property of an object', async () => {
    const odd = await raw('odd.constructor');
    expect(odd.statusCode).toBe(200);
    expect(odd.headers['content-type']).toBe('application/octet-stream');
  });

  it('answers the error shape for bad input', async () => {
    expect((await raw('missing.txt')).statusCode).toBe(404);
    expect((await raw('big.bin', '&download=maybe')).statusCode).toBe(400);
    const traversal = await app.inject({
      method: 'GET',
      url: '/api/v1/repos/raw?repo=/projects/../etc&path=x',
    });
    expect([400, 404]).toContain(traversal.statusCode);
    const noRepo = await app.inject({ method: 'GET', url: '/api/v1/repos/raw?repo=/nowhere&path=x' });
    expect(noRepo.statusCode).toBe(404);
  });
});

describe('parseLfsPointer', () => {
  it('reads a pointer written by git-lfs', () => {
    expect(parseLfsPointer(Buffer.from(pointer(OID, 42)))).toEqual({ oid: OID, size: 42 });
    const extended = `version https://git-lfs.github.com/spec/v1\next-0-foo sha256:${OID}\noid sha256:${OID}\nsize 7\n`;
    expect(parseLfsPointer(Buffer.from(extended))).toEqual({ oid: OID, size: 7 });
  });

  it.each([
    ['no trailing newline', pointer(OID, 1).trimEnd()],
    ['version not first', `oid sha256:${OID}\nversion https://git-lfs.github.com/spec/v1\nsize 1\n`],
    ['unknown version', pointer(OID, 1).replace('spec/v1', 'spec/v9')],
    ['upper-case oid', pointer(OID.toUpperCase(), 1)],
    ['short oid', pointer(OID.slice(1), 1)],
    ['negative size', pointer(OID, 1).replace('size 1', 'size -1')],
    ['leading zero', pointer(OID, 1).replace('size 1', 'size 01')],
    ['huge size', pointer(OID, 1).replace('size 1', 'size 99999999999999999')],
    ['unsorted keys', `version https://git-lfs.github.com/spec/v1\nsize 1\noid sha256:${OID}\n`],
    ['CRLF', pointer(OID, 1).replace(/\n/g, '\r\n')],
    ['prose about LFS', 'version https://git-lfs.github.com/spec/v1 is the format\n'],
    ['oversized', pointer(OID, 1) + `x-pad ${'a'.repeat(1100)}\n`],
  ])('refuses %s', (_name, text) => {
    expect(parseLfsPointer(Buffer.from(text))).toBeUndefined();
  });
});
