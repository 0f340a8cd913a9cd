import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHA1 } from '../../src/git/object-format.js';
import { commitFile, makeRepo, packOf } from '../support/git-fixtures.js';
import { git, gitText } from '../support/git-cli.js';
import { pushBody } from '../support/hostile-packs.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { serviceAvailable } from '../support/services.js';
import { startSshServer, type SshServer } from './ssh-harness.js';
import { DEBIAN_PYTHON } from '../support/dulwich.js';

const HAS_DULWICH = existsSync(DEBIAN_PYTHON);
const POSTGRES = await serviceAvailable('postgres');

const SSH_OPTIONS =
  'ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o BatchMode=yes -o LogLevel=ERROR';

/**
 * dulwich (pure Python, its own protocol code) fetches over SSH from our server and checks out the
 * branch HEAD names. argv: port, key, repository path, directory.
 */
const DULWICH_FETCH = `
import sys
from dulwich.client import SSHGitClient
from dulwich.repo import Repo
port, key, path, target = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
client = SSHGitClient('127.0.0.1', port=port, username='git', key_filename=key, ssh_command='${SSH_OPTIONS}')
repo = Repo.init(target, mkdir=True)
fetched = client.fetch(path, repo)
head = fetched.symrefs[b'HEAD']
repo.refs[head] = fetched.refs[head]
repo.refs.set_symbolic_ref(b'HEAD', head)
repo.reset_index()
print(head.decode(), fetched.refs[head].decode())
`;

/**
 * dulwich pushes over SSH. Unlike C git it keeps its side of the channel open after the pack until
 * it has read the report. argv: url, key, local repository, then `remote-ref=local-ref` updates
 * (`remote-ref=` deletes). Prints each ref's status; exits 1 if any was refused.
 */
const DULWICH_PUSH = `
import sys
from dulwich.client import get_transport_and_path
from dulwich.objects import ZERO_SHA
from dulwich.repo import Repo
url, key, local = sys.argv[1], sys.argv[2], sys.argv[3]
repo = Repo(local)
wanted = {}
for update in sys.argv[4:]:
    remote, _, source = update.partition('=')
    wanted[remote.encode()] = repo.refs[source.encode()] if source else ZERO_SHA
client, path = get_transport_and_path(url, key_filename=key, ssh_command='${SSH_OPTIONS}')
result = client.send_pack(path, lambda refs: dict(wanted), repo.generate_pack_data)
failed = False
for ref, error in sorted(result.ref_status.items()):
    print(ref.decode(), error or 'ok')
    failed = failed or error is not None
sys.exit(1 if failed else 0)
`;

/** pkt-lines up to the first flush: a receive-pack advertisement's length in `data`, or -1. */
function advertisementEnd(data: Buffer): number {
  let pos = 0;
  while (pos + 4 <= data.length) {
    const length = Number.parseInt(data.subarray(pos, pos + 4).toString('latin1'), 16);
    if (length === 0) return pos + 4;
    pos += length;
  }
  return -1;
}

/**
 * A push made by hand with the real `ssh` client: the advertisement is read, then `body` (commands
 * and pack) written in one piece; the client's side stays open until `closeInput` (as dulwich's).
 */
function rawReceivePack(sshArgs: readonly string[], path: string, body: Buffer) {
  const child = spawn('ssh', [...sshArgs, 'git@127.0.0.1', `git-receive-pack '${path}'`], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = Buffer.alloc(0);
  let reportFrom = -1;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  const watchers = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    output = Buffer.concat([output, chunk]);
    if (reportFrom < 0) {
      reportFrom = advertisementEnd(output);
      if (reportFrom >= 0) child.stdin.write(body);
    }
    for (const watcher of watchers) watcher();
  });
  const report = () => (reportFrom < 0 ? '' : output.subarray(reportFrom).toString('latin1'));
  return {
    /** The report once its flush arrived, or undefined after `waitMs`. */
    async report(waitMs: number): Promise<string | undefined> {
      const complete = () => report().endsWith('0000');
      if (complete()) return report();
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          watchers.delete(check);
          resolve(undefined);
        }, waitMs);
        const check = () => {
          if (!complete()) return;
          clearTimeout(timer);
          watchers.delete(check);
          resolve(report());
        };
        watchers.add(check);
        void exited.then(() => {
          clearTimeout(timer);
          watchers.delete(check);
          resolve(complete() ? report() : undefined);
        });
      });
    },
    closeInput: () => child.stdin.end(),
    async exit(): Promise<{ code: number; stderr: string }> {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return { code, stderr };
    },
  };
}

/** `pack` with its header's object count raised by `extra`, and a trailer that matches again. */
function withCount(pack: Buffer, extra: number): Buffer {
  const body = Buffer.from(pack.subarray(0, pack.length - 20));
  body.writeUInt32BE(body.readUInt32BE(8) + extra, 8);
  return Buffer.concat([body, SHA1.hash(body)]);
}

/** An independent client over SSH: C git's fallbacks (a missing HEAD, say) would hide what it does not. */
describe.each([
  ['sqlite', HAS_DULWICH],
  ['postgres', HAS_DULWICH && POSTGRES],
] as const)('dulwich over SSH on %s', (dialect, available) => {
  let mega: SshServer;
  let scratch: ScratchDatabase | undefined;
  let key = '';
  let lib = '';
  const url = () => `${mega.sshUrl}/import/lib.git`;
  const remoteRefs = async () => {
    const listed = await gitText(['ls-remote', url()], mega.gitAs(key));
    return new Map(listed.split('\n').map((line) => line.split('\t').reverse() as [string, string]));
  };
  const dulwichPush = (...updates: string[]) =>
    promisify(execFile)(DEBIAN_PYTHON, ['-c', DULWICH_PUSH, url(), key, lib, ...updates], {
      timeout: 30_000,
    });

  beforeAll(async () => {
    if (!available) return;
    scratch = dialect === 'postgres' ? await createScratchDatabase('postgres') : undefined;
    mega = await startSshServer(scratch ? { env: { MEGA_DATABASE_URL: scratch.url } } : {});
    await mega.mega(['token', 'create', 'alice', '--admin']);
    key = await mega.keygen('alice');
    await mega.mega(['user', 'key', 'add', 'alice', `${key}.pub`]);
    lib = join(mega.work, 'lib');
    await makeRepo(lib, [{ 'README.md': '# lib\n' }, { 'src/a.txt': 'a\n' }]);
    await git(['push', url(), 'main'], { ...mega.gitAs(key), cwd: lib });
  }, 60_000);
  afterAll(async () => {
    await mega?.stop();
    await scratch?.drop();
  });

  it.runIf(available)(
    'fetches the branch HEAD names and checks it out',
    async () => {
      const dir = join(mega.work, 'dulwich');
      const { stdout } = await promisify(execFile)(
        DEBIAN_PYTHON,
        ['-c', DULWICH_FETCH, String(mega.sshPort), key, '/import/lib.git', dir],
        { timeout: 30_000 },
      );
      const [head, commit] = stdout.trim().split(' ');
      expect(head).toBe('refs/heads/main');
      expect(commit).toBe(await gitText(['-C', lib, 'rev-parse', 'HEAD']));
      expect(await readFile(join(dir, 'src/a.txt'), 'utf8')).toBe('a\n');
      await git(['-C', dir, 'fsck', '--strict']);
    },
    60_000,
  );

  it.runIf(available)(
    'pushes a new branch, updates it and deletes it, keeping its side open until the report',
    async () => {
      await git(['checkout', '-q', '-b', 'feature'], { cwd: lib });
      const created = await commitFile(lib, 'src/feature.txt', 'new\n', 'feature');
      const pushed = await dulwichPush('refs/heads/feature=refs/heads/feature');
      expect(pushed.stdout.trim()).toBe('refs/heads/feature ok');
      expect((await remoteRefs()).get('refs/heads/feature')).toBe(created);

      const updated = await commitFile(lib, 'src/feature.txt', 'newer\n', 'feature again');
      expect((await dulwichPush('refs/heads/feature=refs/heads/feature')).stdout.trim()).toBe(
        'refs/heads/feature ok',
      );
      expect((await remoteRefs()).get('refs/heads/feature')).toBe(updated);

      const clone = join(mega.work, 'clone-feature');
      await git(['clone', '-q', '-b', 'feature', url(), clone], mega.gitAs(key));
      await git(['-C', clone, 'fsck', '--strict']);
      expect(await readFile(join(clone, 'src/feature.txt'), 'utf8')).toBe('newer\n');

      expect((await dulwichPush('refs/heads/feature=')).stdout.trim()).toBe('refs/heads/feature ok');
      const refs = await remoteRefs();
      expect(refs.has('refs/heads/feature')).toBe(false);
      expect(refs.get('refs/heads/main')).toBe(await gitText(['-C', lib, 'rev-parse', 'main']));
    },
    90_000,
  );

  describe('where a pack ends over SSH (the client waits for the report)', () => {
    let pack: Buffer = Buffer.alloc(0);
    let tip = '';
    beforeAll(async () => {
      if (!available) return;
      const base = await gitText(['-C', lib, 'rev-parse', 'main']);
      await git(['checkout', '-q', '-b', `raw-${dialect}`, base], { cwd: lib });
      tip = await commitFile(lib, `raw-${dialect}.txt`, `only in the raw pushes on ${dialect}\n`, 'raw');
      pack = await packOf(lib, [tip], { excluded: [base] });
    }, 30_000);

    const push = (body: Buffer) => rawReceivePack(mega.sshArgs(key), '/import/lib.git', body);
    const expectRefused = async (ref: string, report: string | undefined, reason: string) => {
      expect(report).toContain(`unpack ${reason}`);
      expect(report).toContain(`ng ${ref} unpacker error`);
      expect((await remoteRefs()).has(ref)).toBe(false);
    };

    it.runIf(available)(
      'takes a pack and reports while the input is still open',
      async () => {
        const session = push(pushBody('refs/heads/raw-ok', tip, pack));
        const report = await session.report(15_000);
        expect(report).toContain('unpack ok');
        expect(report).toContain('ok refs/heads/raw-ok');
        session.closeInput();
        expect((await session.exit()).code).toBe(0);
        expect((await remoteRefs()).get('refs/heads/raw-ok')).toBe(tip);
      },
      30_000,
    );

    it.runIf(available)(
      'refuses bytes sent with the pack after its trailer',
      async () => {
        const ref = 'refs/heads/raw-garbage';
        const session = push(pushBody(ref, tip, Buffer.concat([pack, Buffer.from('0000garbage')])));
        await expectRefused(ref, await session.report(15_000), 'bytes follow the pack trailer');
        session.closeInput();
        await session.exit();
      },
      30_000,
    );

    it.runIf(available)(
      'refuses a truncated pack once the client closes its side',
      async () => {
        const ref = 'refs/heads/raw-truncated';
        const session = push(pushBody(ref, tip, pack.subarray(0, pack.length - 30)));
        expect(await session.report(1000), 'more of the pack may still come').toBeUndefined();
        session.closeInput();
        await expectRefused(ref, await session.report(15_000), 'pack ends inside its');
        await session.exit();
      },
      30_000,
    );

    it.runIf(available)(
      'refuses a pack whose header counts more objects than it holds',
      async () => {
        const ref = 'refs/heads/raw-count';
        const session = push(pushBody(ref, tip, withCount(pack, 1)));
        // The trailer is read as the missing entry: refused at once when it cannot be one, else
        // the server waits for the rest of it, and the client's EOF says it will not come.
        let report = await session.report(1000);
        if (report === undefined) {
          session.closeInput();
          report = await session.report(15_000);
        }
        await expectRefused(ref, report, '');
        session.closeInput();
        await session.exit();
      },
      30_000,
    );
  });
});
