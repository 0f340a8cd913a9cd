import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createScratchDatabase,
  type DialectName,
  type ScratchDatabase,
} from '../support/scratch-database.js';
import { git } from '../support/git-cli.js';
import { deflateBombPack, pushBody, tagBombPack, type BombPack } from '../support/hostile-packs.js';
import { serviceAvailable } from '../support/services.js';
import {
  gzipOf,
  haveFlood,
  lsRefsFlood,
  pushCommandFlood,
  streamedRequest,
  wantFlood,
  type StreamedReply,
} from '../support/streamed-request.js';
import { startHttpFixture, type HttpFixture } from './http-fixture.js';
import { makeFileHistory } from '../support/git-fixtures.js';

/**
 * No input grows the server's memory (issue 14 §3), against a real `mega serve` over real HTTP:
 * command sections capped while streamed (after gzip decoding), and deflate bombs read for
 * display only up to the display limit while raw downloads stream them whole. The limits are
 * lowered through the environment so the inputs stay small; `npm run bench -- hostile` sends the
 * gigabyte versions and measures the server's memory.
 */
const COMMAND_LIMIT = 64 * 1024;
const DISPLAY_LIMIT = 1024 * 1024;
const BOMB_BYTES = 24 * 1024 * 1024;
/** Commits, trees and tags above this are refused by their pack entry header. */
const NON_BLOB_LIMIT = 32 * 1024 * 1024;
const REFUSAL = `ERR request command section exceeds the limit of ${COMMAND_LIMIT} bytes`;

const DIALECTS: ReadonlyArray<{ name: DialectName; available: () => Promise<boolean> }> = [
  { name: 'sqlite', available: async () => true },
  { name: 'postgres', available: () => serviceAvailable('postgres') },
];

function blobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

for (const dialect of DIALECTS) {
  describe.skipIf(!(await dialect.available()))(`hostile inputs [${dialect.name}]`, () => {
    let fx: HttpFixture;
    let scratch: ScratchDatabase | undefined;
    let text: BombPack;
    let zeros: BombPack;
    const repo = '/import/hostile';
    const auth = () => ({ Authorization: `Bearer ${fx.token}` });
    const gitPost = (service: string, body: Iterable<Buffer>, headers: Record<string, string> = {}) =>
      streamedRequest(fx.url(`${repo}/${service}`), {
        headers: { 'Content-Type': `application/x-${service}-request`, ...headers },
        body,
      });
    const api = async (path: string) => {
      const response = await fetch(fx.url(`/api/v1/repos/${path}&repo=${encodeURIComponent(repo)}`));
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const push = async (ref: string, bomb: BombPack) => {
      const reply = await gitPost('git-receive-pack', [pushBody(ref, bomb.commit, bomb.pack)], auth());
      expect(reply.body.toString()).toContain(`ok ${ref}`);
    };

    beforeAll(async () => {
      scratch = dialect.name === 'postgres' ? await createScratchDatabase('postgres') : undefined;
      fx = await startHttpFixture({
        env: {
          MEGA_MAX_COMMAND_BYTES: String(COMMAND_LIMIT),
          MEGA_MAX_DISPLAY_BYTES: String(DISPLAY_LIMIT),
          MEGA_MAX_NON_BLOB_BYTES: String(NON_BLOB_LIMIT),
          ...(scratch ? { MEGA_DATABASE_URL: scratch.url } : {}),
        },
      });
      text = await deflateBombPack(BOMB_BYTES, 0x61);
      zeros = await deflateBombPack(BOMB_BYTES);
      await push('refs/heads/main', text);
      await push('refs/heads/zeros', zeros);
    }, 120_000);
    afterAll(async () => {
      await fx?.stop();
      await scratch?.drop();
    });

    const expectRefused = (reply: StreamedReply, message = REFUSAL) => {
      expect(reply.status).toBe(200);
      expect(reply.body.toString('latin1')).toContain(message);
    };

    it('refuses a protocol v2 command section over the cap while it streams in', async () => {
      const reply = await gitPost('git-upload-pack', lsRefsFlood(16 * 1024 * 1024), {
        'Git-Protocol': 'version=2',
      });
      expectRefused(reply);
      expect(reply.body.toString()).toContain('MEGA_MAX_COMMAND_BYTES');
      // Refused long before the whole flood was sent.
      expect(reply.sentBytes).toBeLessThan(16 * 1024 * 1024);
    });

    it('measures the cap after gzip decoding: a gzip bomb stops at the cap', async () => {
      const bomb = await gzipOf(lsRefsFlood(256 * 1024 * 1024));
      expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
      const reply = await gitPost('git-upload-pack', [bomb], {
        'Git-Protocol': 'version=2',
        'Content-Encoding': 'gzip',
      });
      expectRefused(reply);
    });

    it('refuses protocol v0 want and have floods', async () => {
      expectRefused(await gitPost('git-upload-pack', wantFlood(text.commit, 8 * 1024 * 1024)));
      expectRefused(await gitPost('git-upload-pack', haveFlood(text.commit, 8 * 1024 * 1024)));
    });

    it('refuses a receive-pack command flood and still takes a push on the next connection', async () => {
      const reply = await gitPost('git-receive-pack', pushCommandFlood(text.commit, 8 * 1024 * 1024), auth());
      // The client asked for side-band-64k on its first line: the refusal comes on band 3, as git
      // shows it (`remote: error: …`).
      expectRefused(reply, `\u0003error: ${REFUSAL.slice('ERR '.length)}`);
      const refs = await gitPost('git-upload-pack', [Buffer.from('0014command=ls-refs\n0000')], {
        'Git-Protocol': 'version=2',
      });
      expect(refs.body.toString()).toContain('refs/heads/main');
    });

    it('tells git why: a fetch of too many refspecs prints the refusal', async () => {
      // git sends one ref-prefix line per place a short name may live, for each refspec.
      const refspecs = Array.from({ length: 400 }, (_, i) => `feature-${'p'.repeat(40)}-${i}`);
      const local = join(fx.work, `fetcher-${dialect.name}`);
      await git(['init', '-q', local]);
      const result = await fx.anonymous(2, ['-C', local, 'fetch', fx.url(repo), ...refspecs], {
        check: false,
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`remote error: ${REFUSAL.slice('ERR '.length)}`);
    });

    it('tells git why: a push of too many branches at once prints the refusal', async () => {
      const source = join(fx.work, `branches-${dialect.name}`);
      await makeFileHistory(source, 1);
      const head = (await git(['-C', source, 'rev-parse', 'HEAD'])).stdout.toString().trim();
      const creates = Array.from({ length: 1500 }, (_, i) => `create refs/heads/branch-${i} ${head}\n`);
      await git(['-C', source, 'update-ref', '--stdin'], { input: creates.join('') });
      const result = await fx.git(0, ['-C', source, 'push', fx.url('/import/branches'), '--all'], {
        check: false,
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(REFUSAL.slice('ERR '.length));
    });

    it('refuses a body whose gzip is broken, as a git error', async () => {
      const broken = (await gzipOf(lsRefsFlood(1024))).subarray(0, 20);
      const truncated = await gitPost('git-upload-pack', [broken], {
        'Git-Protocol': 'version=2',
        'Content-Encoding': 'gzip',
      });
      expectRefused(truncated, 'ERR invalid gzip request body');
      const garbage = await gitPost('git-upload-pack', [Buffer.from('not gzip at all')], {
        'Content-Encoding': 'gzip',
      });
      expectRefused(garbage, 'ERR invalid gzip request body');
    });

    it('still serves a normal clone and fetch under the cap', async () => {
      const source = join(fx.work, `small-${dialect.name}`);
      await makeFileHistory(source, 3);
      await fx.git(2, ['-C', source, 'push', '-q', fx.url('/import/small'), 'main']);
      const copy = join(fx.work, `copy-${dialect.name}`);
      await fx.anonymous(0, ['clone', '-q', fx.url('/import/small'), copy]);
      await git(['-C', copy, 'fsck', '--no-progress']);
    });

    it('reads a big text file for display only up to the display limit, flagged truncated', async () => {
      const { status, body } = await api('blob?ref=main&path=zeros.bin');
      expect(status).toBe(200);
      expect(body.truncated).toBe(true);
      expect(body.size).toBe(BOMB_BYTES);
      expect(body.binary).toBe(false);
      expect((body.content as string).length).toBe(DISPLAY_LIMIT);
      expect(body.content as string).toMatch(/^a+$/);
      const small = await api('blob?ref=main&path=README');
      expect(small.body.truncated).toBe(false);
      expect(small.body.content).toBe('a file of zeros follows\n');
    });

    it('judges a big binary file on its first bytes and shows no content', async () => {
      const { body } = await api('blob?ref=zeros&path=zeros.bin');
      expect(body).toMatchObject({ truncated: true, binary: true, size: BOMB_BYTES });
      expect(body.content).toBeUndefined();
    });

    it('lists big files in diffs without inflating them', async () => {
      const commit = await api(`commit?id=${text.commit}`);
      expect(commit.status).toBe(200);
      const files = (commit.body.diff as { files: Array<Record<string, unknown>> }).files;
      expect(files.find((file) => file.path === 'zeros.bin')).toMatchObject({
        status: 'added',
        omitted: 'too_large',
        hunks: [],
      });
      const compare = await api(`compare?from=${zeros.commit}&to=${text.commit}`);
      const changed = (compare.body.diff as { files: Array<Record<string, unknown>> }).files;
      expect(changed.find((file) => file.path === 'zeros.bin')).toMatchObject({ binary: true });
      const log = await api('commits?ref=main&path=zeros.bin');
      expect((log.body.items as unknown[]).length).toBe(1);
    });

    it('peels a tag whose message is a deflate bomb from its first bytes (ls-remote, clone, REST refs)', async () => {
      const bombTag = await tagBombPack(text.commit, BOMB_BYTES);
      const reply = await gitPost(
        'git-receive-pack',
        [pushBody('refs/tags/bomb', bombTag.tag, bombTag.pack)],
        auth(),
      );
      expect(reply.body.toString()).toContain('ok refs/tags/bomb');
      const listed = await fx.anonymous(0, ['ls-remote', fx.url(repo)]);
      expect(listed.stdout.toString()).toContain(`${text.commit}\trefs/tags/bomb^{}`);
      const v2 = await fx.anonymous(2, ['ls-remote', fx.url(repo), 'refs/tags/*']);
      expect(v2.stdout.toString()).toContain(`${bombTag.tag}\trefs/tags/bomb`);
      const refs = await fetch(fx.url(`/api/v1/repos/refs?repo=${encodeURIComponent(repo)}`));
      const list = (await refs.json()) as { items: Array<{ name: string; peeled?: string }> };
      expect(list.items.find((ref) => ref.name === 'refs/tags/bomb')?.peeled).toBe(text.commit);
    });

    it('refuses a tag over the non-blob limit by its entry header, before inflating it', async () => {
      const tooBig = await tagBombPack(text.commit, NON_BLOB_LIMIT + 1, 'too-big');
      const reply = await gitPost(
        'git-receive-pack',
        [pushBody('refs/tags/too-big', tooBig.tag, tooBig.pack)],
        auth(),
      );
      const said = reply.body.toString('latin1');
      expect(said).toContain('unpack pack entry (tag) is larger than allowed');
      expect(said).toContain(`limit ${NON_BLOB_LIMIT}`);
      expect(said).toContain('ng refs/tags/too-big');
      const listed = await fx.anonymous(0, ['ls-remote', fx.url(repo)]);
      expect(listed.stdout.toString()).not.toContain('refs/tags/too-big');
    });

    it('streams a raw download of a big file whole, byte for byte', async () => {
      const response = await fetch(
        fx.url(`/api/v1/repos/raw?repo=${encodeURIComponent(repo)}&ref=main&path=zeros.bin`),
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe(String(BOMB_BYTES));
      const content = Buffer.from(await response.arrayBuffer());
      expect(content.length).toBe(BOMB_BYTES);
      expect(blobId(content)).toBe(text.blob);
    });
  });
}
