import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo } from '../support/git-fixtures.js';
import { git } from '../support/git-cli.js';
import { pkt } from '../support/hostile-packs.js';
import { SSH_TEST_DIALECTS, ssh, startSshServerOn, type SshServer } from './ssh-harness.js';

/** The upload limit of this server (`MEGA_MAX_REQUEST_BYTES`): also the largest LFS object. */
const LIMIT = 1_000_000;

type Packet = Buffer | 'delim';

/** A reply: its status, arguments, and after a delim its lines (or data). */
interface Reply {
  readonly status: number;
  readonly args: string[];
  readonly lines: string[];
  readonly data: Buffer;
}

/**
 * `git-lfs-transfer` spoken by hand through the real `ssh` client: requests are written as given,
 * replies read pkt-line by pkt-line (ssh_adapter.md), so every malformed request can be tried.
 */
class RawTransfer {
  private output = Buffer.alloc(0);
  private readonly watchers = new Set<() => void>();
  readonly exited: Promise<number>;
  stderr = '';
  private done = false;

  constructor(sshArgs: readonly string[], command: string) {
    const child = spawn('ssh', [...sshArgs, 'git@127.0.0.1', command], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdin.on('error', () => undefined);
    child.stderr.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    child.stdout.on('data', (chunk: Buffer) => {
      this.output = Buffer.concat([this.output, chunk]);
      for (const watcher of this.watchers) watcher();
    });
    this.exited = new Promise((resolve) =>
      child.on('close', (code) => {
        this.done = true;
        for (const watcher of this.watchers) watcher();
        resolve(code ?? -1);
      }),
    );
  }

  private readonly child;

  /** Writes text lines (a LF added), `flush`/`delim` packets and raw bytes as given. */
  send(...items: Array<string | Buffer | 'flush' | 'delim'>): void {
    for (const item of items) {
      if (item === 'flush') this.child.stdin.write('0000');
      else if (item === 'delim') this.child.stdin.write('0001');
      else if (typeof item === 'string') this.child.stdin.write(pkt(`${item}\n`));
      else this.child.stdin.write(item);
    }
  }

  close(): void {
    this.child.stdin.end();
  }

  /** Packets up to the next flush, or undefined if the session ended first. */
  async packets(): Promise<Packet[] | undefined> {
    for (;;) {
      const parsed = this.parse();
      if (parsed) return parsed;
      if (this.done) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 15_000);
        const wake = () => {
          clearTimeout(timer);
          this.watchers.delete(wake);
          resolve();
        };
        this.watchers.add(wake);
      });
    }
  }

  async reply(): Promise<Reply | undefined> {
    const packets = await this.packets();
    if (!packets) return undefined;
    const [first, ...rest] = packets;
    const status = Number(/^status (\d{3})\n$/.exec(first === 'delim' ? '' : (first?.toString() ?? ''))?.[1]);
    const delim = rest.indexOf('delim');
    const head = (delim < 0 ? rest : rest.slice(0, delim)) as Buffer[];
    const body = (delim < 0 ? [] : rest.slice(delim + 1)) as Buffer[];
    return {
      status,
      args: head.map((arg) => arg.toString().replace(/\n$/, '')),
      lines: body.map((line) => line.toString().replace(/\n$/, '')),
      data: Buffer.concat(body),
    };
  }

  private parse(): Packet[] | undefined {
    const packets: Packet[] = [];
    let pos = 0;
    while (pos + 4 <= this.output.length) {
      const length = Number.parseInt(this.output.subarray(pos, pos + 4).toString(), 16);
      if (length === 0) {
        this.output = this.output.subarray(pos + 4);
        return packets;
      }
      if (length === 1) {
        packets.push('delim');
        pos += 4;
        continue;
      }
      if (pos + length > this.output.length) return undefined;
      packets.push(this.output.subarray(pos + 4, pos + length));
      pos += length;
    }
    return undefined;
  }
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * The server side of git-lfs's pure SSH protocol against malformed and hostile requests, spoken
 * by hand (`ssh-lfs.test.ts` runs the real git-lfs through it). Each reply carries the status the
 * same request gets over HTTP; a request that breaks the framing ends the session.
 */
for (const [dialect, available] of SSH_TEST_DIALECTS)
  describe.skipIf(!available)(`git-lfs-transfer with a hand-made client on ${dialect}`, () => {
    let mega: SshServer;
    let key = '';
    const open = (path: string, operation: string) =>
      new RawTransfer(mega.sshArgs(key), `git-lfs-transfer ${path} ${operation}`);
    /** A session past the capabilities and the version. */
    const negotiated = async (path: string, operation: string) => {
      const session = open(path, operation);
      const capabilities = await session.packets();
      expect(capabilities?.map((line) => line.toString())).toEqual(['version=1\n', 'locking\n']);
      session.send('version 1', 'flush');
      expect((await session.reply())?.status).toBe(200);
      return session;
    };
    const HELLO = Buffer.from('hello over ssh\n');
    const HELLO_ID = sha256(HELLO);

    beforeAll(async () => {
      mega = await startSshServerOn(dialect, { env: { MEGA_MAX_REQUEST_BYTES: String(LIMIT) } });
      await mega.mega(['token', 'create', 'alice', '--admin']);
      key = await mega.keygen('alice');
      await mega.mega(['user', 'key', 'add', 'alice', `${key}.pub`]);
      const lib = join(mega.work, 'lib');
      await makeRepo(lib, [{ 'README.md': '# lib\n' }]);
      await git(['push', `${mega.sshUrl}/import/lib.git`, 'main'], { ...mega.gitAs(key), cwd: lib });
    }, 60_000);
    afterAll(async () => {
      await mega?.stop();
    });

    it('negotiates version 1 only, and answers nothing else before it', async () => {
      const session = open('/import/lib.git', 'upload');
      await session.packets();
      session.send(`verify-object ${HELLO_ID}`, 'size=1', 'flush');
      expect(await session.reply()).toMatchObject({
        status: 400,
        lines: ['negotiate the protocol version first'],
      });
      session.send('version 2', 'flush');
      expect(await session.reply()).toMatchObject({
        status: 400,
        lines: ['only protocol version 1 is supported'],
      });
      session.send('version 1', 'flush');
      expect(await session.reply()).toEqual({ status: 200, args: [], lines: [], data: Buffer.alloc(0) });
      session.send('quit', 'flush');
      expect((await session.reply())?.status).toBe(200);
      expect(await session.exited).toBe(0);
    });

    it('uploads, verifies and downloads an object; a batch then reports it', async () => {
      const upload = await negotiated('/import/lib.git', 'upload');
      upload.send(
        'batch',
        'transfer=ssh',
        'hash-algo=sha256',
        'delim',
        `${HELLO_ID} ${HELLO.length}`,
        'flush',
      );
      expect(await upload.reply()).toMatchObject({
        status: 200,
        args: ['hash-algo=sha256'],
        lines: [`${HELLO_ID} ${HELLO.length} upload`],
      });
      upload.send(`put-object ${HELLO_ID}`, `size=${HELLO.length}`, 'delim', pkt(HELLO), 'flush');
      expect((await upload.reply())?.status).toBe(200);
      upload.send(`verify-object ${HELLO_ID}`, `size=${HELLO.length}`, 'flush');
      expect((await upload.reply())?.status).toBe(200);
      upload.send('batch', 'delim', `${HELLO_ID} ${HELLO.length}`, 'flush');
      expect((await upload.reply())?.lines).toEqual([`${HELLO_ID} ${HELLO.length} noop`]);
      upload.send('quit', 'flush');
      expect(await upload.exited).toBe(0);

      const download = await negotiated('/import/lib', 'download');
      const missing = sha256(Buffer.from('never uploaded'));
      download.send('batch', 'delim', `${HELLO_ID} ${HELLO.length}`, `${missing} 14`, 'flush');
      expect((await download.reply())?.lines).toEqual([
        `${HELLO_ID} ${HELLO.length} download`,
        `${missing} 14 noop`,
      ]);
      download.send(`get-object ${HELLO_ID}`, `size=${HELLO.length}`, 'flush');
      const got = await download.reply();
      expect(got).toMatchObject({ status: 200, args: [`size=${HELLO.length}`] });
      expect(got?.data.equals(HELLO)).toBe(true);
      download.send(`get-object ${missing}`, 'flush');
      expect(await download.reply()).toMatchObject({ status: 404, lines: ['object does not exist'] });
      download.send('quit', 'flush');
      expect(await download.exited).toBe(0);
    });

    it('refuses wrong content, oversized objects and wrong operations, keeping the session when it can', async () => {
      const session = await negotiated('/import/lib.git', 'upload');
      const other = sha256(Buffer.from('other'));
      // Content that is not the oid's: nothing kept, the session goes on.
      session.send(`put-object ${other}`, `size=${HELLO.length}`, 'delim', pkt(HELLO), 'flush');
      expect(await session.reply()).toMatchObject({
        status: 400,
        lines: ['uploaded content does not match the object id'],
      });
      session.send(`verify-object ${other}`, `size=${HELLO.length}`, 'flush');
      expect((await session.reply())?.status).toBe(404);
      session.send(`get-object ${HELLO_ID}`, 'flush');
      expect(await session.reply()).toMatchObject({
        status: 400,
        lines: ['get-object needs a session opened for download'],
      });
      for (const line of [
        `${HELLO_ID} ${LIMIT + 1}`,
        `${HELLO_ID} 99999999999999999999`,
        `${HELLO_ID} -1`,
        `../../etc/passwd 5`,
        `${HELLO_ID.toUpperCase()} 5`,
      ]) {
        session.send('batch', 'delim', line, 'flush');
        const reply = await session.reply();
        expect(reply?.status, line).toBe(400);
        expect(reply?.lines[0], line).toMatch(/^(object too large|invalid object (size|id))/);
      }
      session.send('batch', 'hash-algo=sha512', 'delim', `${HELLO_ID} 5`, 'flush');
      expect((await session.reply())?.lines[0]).toMatch(/only sha256/);
      session.send(`verify-object ../../../etc/passwd`, 'size=5', 'flush');
      expect((await session.reply())?.status).toBe(400);
      session.send('batch', 'delim', `${HELLO_ID} 1 stray`, 'flush');
      expect((await session.reply())?.lines[0]).toMatch(/^a batch line is <oid> <size>/);
      session.send('frobnicate', 'flush');
      expect(await session.reply()).toMatchObject({ status: 400, lines: ['unknown command frobnicate'] });
      // Declared bigger than allowed: refused before its data, which cannot be told from requests.
      session.send(`put-object ${HELLO_ID}`, `size=${LIMIT + 1}`, 'delim', pkt(HELLO), 'flush');
      expect((await session.reply())?.status).toBe(413);
      expect(await session.exited).toBe(1);
    });

    it('ends the session on data beyond its declared size', async () => {
      const session = await negotiated('/import/lib.git', 'upload');
      session.send(`put-object ${HELLO_ID}`, 'size=3', 'delim', pkt(HELLO), pkt(HELLO), 'flush');
      expect(await session.reply()).toMatchObject({
        status: 400,
        lines: ['uploaded size does not match the declared size'],
      });
      expect(await session.exited).toBe(1);
    });

    it.each([
      ['a bad pkt-line length', [Buffer.from('zzzz')]],
      ['a packet longer than allowed', [Buffer.from('fff5')]],
      ['a command line with control characters', [pkt('batch\u0001\n'), Buffer.from('0000')]],
      ['an argument that is not key=value', ['lock', 'path', 'flush']],
      ['an argument given twice', ['lock', 'path=a', 'path=b', 'flush']],
      ['too many arguments', ['list-lock', ...Array.from({ length: 33 }, (_, i) => `k${i}=v`), 'flush']],
      ['a data section where none belongs', ['list-lock', 'delim', 'x', 'flush']],
      ['a batch without objects section', ['batch', 'flush']],
      [
        'a batch of more than 1000 objects',
        ['batch', 'delim', ...Array.from({ length: 1001 }, () => `${'a'.repeat(64)} 1`), 'flush'],
      ],
    ] as const)('answers %s with an error and ends the session', async (_name, items) => {
      const session = await negotiated('/import/lib.git', 'upload');
      session.send(...(items as unknown as Array<string | Buffer | 'flush' | 'delim'>));
      const reply = await session.reply();
      expect([400, 413]).toContain(reply?.status);
      expect(await session.exited).toBe(1);
    });

    it('ends quietly when the client closes its side between requests', async () => {
      const session = await negotiated('/import/lib.git', 'download');
      session.close();
      expect(await session.exited).toBe(0);
    });

    it('keeps lock commands to upload sessions and answers lock conflicts with the lock', async () => {
      const download = await negotiated('/import/lib.git', 'download');
      download.send('lock', 'path=README.md', 'flush');
      expect((await download.reply())?.status).toBe(400);
      download.send('list-lock', 'flush');
      expect(await download.reply()).toMatchObject({ status: 200, lines: [] });
      download.send('quit', 'flush');

      const upload = await negotiated('/import/lib.git', 'upload');
      upload.send('lock', 'path=README.md', 'refname=refs/heads/main', 'flush');
      const created = await upload.reply();
      expect(created?.status).toBe(201);
      const id = created?.args.find((arg) => arg.startsWith('id='))?.slice(3) ?? '';
      expect(created?.args).toEqual([
        `id=${id}`,
        'path=README.md',
        expect.stringMatching(/^locked-at=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        'ownername=alice',
      ]);
      upload.send('lock', 'path=README.md', 'flush');
      const conflict = await upload.reply();
      expect(conflict).toMatchObject({ status: 409, lines: ['already created lock'] });
      expect(conflict?.args[0]).toBe(`id=${id}`);
      upload.send('list-lock', 'path=README.md', 'flush');
      expect((await upload.reply())?.lines).toEqual([
        `lock ${id}`,
        `path ${id} README.md`,
        expect.stringMatching(new RegExp(`^locked-at ${id} `)),
        `ownername ${id} alice`,
        `owner ${id} ours`,
      ]);
      upload.send(`unlock ${id}`, 'force=maybe', 'flush');
      expect((await upload.reply())?.status).toBe(400);
      upload.send('unlock 999999', 'flush');
      expect((await upload.reply())?.status).toBe(404);
      upload.send(`unlock ${id}`, 'flush');
      const unlocked = await upload.reply();
      expect(unlocked?.status).toBe(200);
      expect(unlocked?.args.slice(0, 2)).toEqual([`id=${id}`, 'path=README.md']);
      upload.send('quit', 'flush');
      expect(await upload.exited).toBe(0);
    });

    it("gives a read-only deploy key downloads of its path only, as the HTTP API's checks do", async () => {
      const deploy = await mega.keygen('ci');
      await mega.mega(['deploy-key', 'add', '/import/lib', `${deploy}.pub`, '--as', 'alice']);
      const base = [...mega.sshArgs(deploy), 'git@127.0.0.1'];
      const upload = await ssh([...base, 'git-lfs-transfer /import/lib.git upload']);
      expect(upload.code).toBe(1);
      expect(upload.stdout).toBe('');
      expect(upload.stderr).toMatch(/^mega: .*write/);
      const elsewhere = await ssh([...base, 'git-lfs-transfer /import/media.git download']);
      expect(elsewhere.stderr).toMatch(/^mega: \/import\/media: not found/);
      const session = new RawTransfer(mega.sshArgs(deploy), 'git-lfs-transfer /import/lib.git download');
      expect((await session.packets())?.length).toBe(2);
      // HELLO was uploaded by the test above.
      session.send('version 1', 'flush', `get-object ${HELLO_ID}`, 'flush');
      expect((await session.reply())?.status).toBe(200);
      expect((await session.reply())?.data.equals(HELLO)).toBe(true);
      session.send('quit', 'flush');
      expect(await session.exited).toBe(0);
    });

    it('refuses hidden, missing and traversing paths before it offers anything', async () => {
      const base = [...mega.sshArgs(key), 'git@127.0.0.1'];
      for (const [command, message] of [
        ['git-lfs-transfer /import/none.git download', /not found/],
        ['git-lfs-transfer /import/../etc/passwd download', /"\." or "\.\." segments/],
        ['git-lfs-transfer /import/lib.git delete', /upload or download/],
        ["git-lfs-transfer '/import/lib.git' upload; id", /upload or download/],
      ] as const) {
        const answer = await ssh([...base, command]);
        expect(answer.code, command).toBe(1);
        expect(answer.stdout, command).toBe('');
        expect(answer.stderr, command).toMatch(message);
      }
    });
  });
