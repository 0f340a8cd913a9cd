import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText } from '../support/git-cli.js';
import { parseLsRemote, startHttpFixture, type HttpFixture } from './http-fixture.js';
import { commitFile, makeFileHistory } from '../support/git-fixtures.js';

/** Hand-made HTTP requests: what a hostile or broken client can send. */
const ZERO = '0'.repeat(40);

/** Status of a GET sent with the path exactly as given. */
function rawStatus(base: URL, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: base.hostname, port: base.port, path, method: 'GET' }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

function pkt(text: string): Buffer {
  return Buffer.concat([Buffer.from((text.length + 4).toString(16).padStart(4, '0')), Buffer.from(text)]);
}

describe('smart HTTP with a raw HTTP client', () => {
  let fx: HttpFixture;
  let head: string;
  const auth = () => ({ Authorization: `Bearer ${fx.token}` });
  const post = (path: string, service: string, body: Buffer, headers: Record<string, string> = {}) =>
    fetch(fx.url(`${path}/${service}`), {
      method: 'POST',
      headers: { 'Content-Type': `application/x-${service}-request`, ...headers },
      body,
    });

  beforeAll(async () => {
    fx = await startHttpFixture();
    await makeFileHistory(join(fx.work, 'src'), 3);
    await fx.git(2, ['-C', join(fx.work, 'src'), 'push', '-q', fx.url('/import/raw.git'), 'main']);
    head = await gitText(['-C', join(fx.work, 'src'), 'rev-parse', 'HEAD']);
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('asks for credentials on the receive-pack advertisement, before any upload', async () => {
    const anonymous = await fetch(fx.url('/import/raw.git/info/refs?service=git-receive-pack'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="Mega"/);
    const body = (await anonymous.json()) as { code: string };
    expect(body.code).toBe('authentication_required');

    const wrong = await fetch(fx.url('/import/raw.git/info/refs?service=git-upload-pack'), {
      headers: { Authorization: `Basic ${Buffer.from('alice:mega_wrong').toString('base64')}` },
    });
    expect(wrong.status).toBe(401);

    const basic = await fetch(fx.url('/import/raw/info/refs?service=git-receive-pack'), {
      headers: { Authorization: `Basic ${Buffer.from(`alice:${fx.token}`).toString('base64')}` },
    });
    expect(basic.status).toBe(200);
    expect(basic.headers.get('content-type')).toBe('application/x-git-receive-pack-advertisement');
    const text = await basic.text();
    expect(text.startsWith('001f# service=git-receive-pack\n0000')).toBe(true);
    expect(text).toContain('report-status');

    const push = await fx.anonymous(
      2,
      ['-C', join(fx.work, 'src'), 'push', fx.url('/import/raw.git'), 'main:other'],
      {
        check: false,
      },
    );
    expect(push.code).not.toBe(0);
  });

  it('refuses dumb HTTP, unknown repositories and path traversal', async () => {
    expect((await fetch(fx.url('/import/raw.git/info/refs'))).status).toBe(403);
    const missing = await fetch(fx.url('/import/nothing.git/info/refs?service=git-upload-pack'));
    expect(missing.status).toBe(404);
    // info/refs refusals are text/plain: git prints them as `remote:` lines.
    expect(missing.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await missing.text()).toMatch(/not found|no repository/);
    // fetch() would normalise `..` away; send the literal path.
    for (const path of ['/raw/../repo.git', '/raw/%2e%2e/repo.git', '/raw/a%2fb.git', '/raw/%00.git']) {
      expect(await rawStatus(new URL(fx.url('/')), `${path}/info/refs?service=git-upload-pack`)).toBe(400);
    }
    // An empty segment is no repository path at all.
    expect(await rawStatus(new URL(fx.url('/')), '/raw//repo.git/info/refs?service=git-upload-pack')).toBe(
      404,
    );
  });

  it('answers malformed and truncated pkt-lines with an ERR packet', async () => {
    const cases: Array<[Buffer, string]> = [
      [Buffer.from('zzzzwant'), 'pkt-line length is not hex'],
      [pkt(`want ${head}\n`), 'request ended before the want list was complete'],
      [Buffer.concat([pkt('want nothex\n'), Buffer.from('0000')]), 'not a valid object id'],
      [Buffer.from('0032want'), 'input ended inside a pkt-line'],
      [Buffer.concat([pkt(`want ${'1'.repeat(40)}\n`), Buffer.from('0000'), pkt('done\n')]), 'not our ref'],
    ];
    for (const [body, message] of cases) {
      const response = await post('/import/raw.git', 'git-upload-pack', body);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toMatch(/^[0-9a-f]{4}ERR /);
      expect(text).toContain(message);
    }
    const v2 = await post(
      '/import/raw.git',
      'git-upload-pack',
      Buffer.concat([pkt('command=frobnicate\n'), Buffer.from('0000')]),
      {
        'Git-Protocol': 'version=2',
      },
    );
    expect(await v2.text()).toContain("ERR unknown command 'frobnicate'");
  });

  it('reads gzip-encoded request bodies', async () => {
    const body = gzipSync(
      Buffer.concat([pkt('command=ls-refs\n'), Buffer.from('0001'), pkt('symrefs\n'), Buffer.from('0000')]),
    );
    const response = await post('/import/raw.git', 'git-upload-pack', body, {
      'Git-Protocol': 'version=2',
      'Content-Encoding': 'gzip',
    });
    const text = await response.text();
    expect(text).toContain(`${head} HEAD symref-target:refs/heads/main`);
    expect(text).toContain(`${head} refs/heads/main`);
  });

  it('stores nothing from a corrupt pack and reports the unpack error', async () => {
    const pack = await git(['-C', join(fx.work, 'src'), 'pack-objects', '--stdout', '--revs'], {
      input: 'HEAD\n',
    });
    const corrupt = Buffer.from(pack.stdout);
    corrupt[corrupt.length - 30] = (corrupt[corrupt.length - 30] ?? 0) ^ 0xff;
    const commands = Buffer.concat([
      pkt(`${ZERO} ${head} refs/heads/main\0report-status agent=test\n`),
      Buffer.from('0000'),
    ]);
    const response = await post(
      '/import/new-from-corrupt.git',
      'git-receive-pack',
      Buffer.concat([commands, corrupt]),
      auth(),
    );
    const text = await response.text();
    expect(text).toMatch(/unpack (?!ok)/);
    expect(text).toContain('ng refs/heads/main');
    // The repository was not created and nothing was stored.
    expect(
      (await fetch(fx.url('/import/new-from-corrupt.git/info/refs?service=git-upload-pack'))).status,
    ).toBe(404);

    const truncated = await post(
      '/import/raw.git',
      'git-receive-pack',
      Buffer.concat([
        pkt(`${head} ${'2'.repeat(40)} refs/heads/main\0report-status\n`),
        Buffer.from('0000'),
        pack.stdout.subarray(0, 40),
      ]),
      auth(),
    );
    expect(await truncated.text()).toMatch(/unpack (?!ok)/);

    // The body ends with the pack: anything after its trailer is refused, wherever it falls.
    for (const size of [1, 70_000]) {
      const followed = await post(
        '/import/new-from-followed.git',
        'git-receive-pack',
        Buffer.concat([commands, pack.stdout, Buffer.alloc(size, 0x30)]),
        auth(),
      );
      expect(await followed.text()).toContain('unpack bytes follow the pack trailer');
    }
    const refs = parseLsRemote(
      (await fx.anonymous(2, ['ls-remote', fx.url('/import/raw.git')])).stdout.toString(),
    );
    expect(refs.get('refs/heads/main')).toBe(head);
  });

  it('rejects a ref pointing at objects that are not there', async () => {
    const empty = await git(['pack-objects', '--stdout'], { input: '', cwd: join(fx.work, 'src') });
    const body = Buffer.concat([
      pkt(`${ZERO} ${'3'.repeat(40)} refs/heads/ghost\0report-status\n`),
      Buffer.from('0000'),
      empty.stdout,
    ]);
    const text = await (await post('/import/raw.git', 'git-receive-pack', body, auth())).text();
    expect(text).toContain('unpack ok');
    expect(text).toContain(`ng refs/heads/ghost missing necessary objects (${'3'.repeat(40)})`);
  });

  it('rejects a pack whose trees point at blobs neither in the pack nor in the repository', async () => {
    const work = join(fx.work, 'holes');
    await makeFileHistory(work, 1);
    await commitFile(work, 'secret/only-here.txt', 'never pushed\n', 'a blob the pack leaves out');
    const at = (spec: string) => gitText(['-C', work, 'rev-parse', spec]);
    const [commit, parent, tree, subtree, blob] = await Promise.all(
      ['HEAD', 'HEAD~1', 'HEAD^{tree}', 'HEAD:secret', 'HEAD:secret/only-here.txt'].map(at),
    );
    // The whole history except the new blob: the pack is valid, the push is not connected.
    const parentObjects = await gitText(['-C', work, 'rev-list', '--objects', parent as string]);
    const ids = [...parentObjects.split('\n').map((line) => line.split(' ')[0]), commit, tree, subtree];
    const pack = await git(['-C', work, 'pack-objects', '--stdout'], { input: `${ids.join('\n')}\n` });
    const body = Buffer.concat([
      pkt(`${ZERO} ${commit} refs/heads/holes\0report-status\n`),
      Buffer.from('0000'),
      pack.stdout,
    ]);
    const text = await (await post('/import/holes.git', 'git-receive-pack', body, auth())).text();
    expect(text).toContain('unpack ok');
    expect(text).toContain(`ng refs/heads/holes missing necessary objects (${blob})`);
  });

  it('lets exactly one of two racing pushes to one ref win; the other is told why', async () => {
    const work = join(fx.work, 'race');
    await fx.git(2, ['clone', '-q', fx.url('/import/raw.git'), work]);
    const first = await commitFile(work, 'race.txt', 'one\n', 'one');
    await git(['-C', work, 'reset', '-q', '--hard', 'HEAD~1']);
    const second = await commitFile(work, 'race.txt', 'two\n', 'two');
    const packFor = async (tip: string) =>
      (await git(['-C', work, 'pack-objects', '--stdout', '--revs'], { input: `${tip}\n^${head}\n` })).stdout;
    const request = async (tip: string) =>
      Buffer.concat([
        pkt(`${head} ${tip} refs/heads/main\0report-status-v2 atomic\n`),
        Buffer.from('0000'),
        await packFor(tip),
      ]);
    const bodies = await Promise.all([request(first), request(second)]);
    const texts = await Promise.all(
      bodies.map(async (body) => (await post('/import/raw.git', 'git-receive-pack', body, auth())).text()),
    );
    const ok = texts.filter((text) => text.includes('ok refs/heads/main'));
    const rejected = texts.filter((text) => text.includes('ng refs/heads/main'));
    expect(ok).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toContain('failed to lock');
    head = texts[0]?.includes('ok refs/heads/main') ? first : second;
    const refs = parseLsRemote(
      (await fx.anonymous(2, ['ls-remote', fx.url('/import/raw.git')])).stdout.toString(),
    );
    expect(refs.get('refs/heads/main')).toBe(head);
  });
});

describe('smart HTTP limits and private reads', () => {
  let fx: HttpFixture;
  beforeAll(async () => {
    fx = await startHttpFixture({ env: { MEGA_MAX_OBJECTS_PER_PUSH: '5', MEGA_ANONYMOUS_READ: 'false' } });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('refuses a push over the object limit with a message git prints', async () => {
    await makeFileHistory(join(fx.work, 'big'), 4);
    const push = await fx.git(0, ['-C', join(fx.work, 'big'), 'push', fx.url('/import/limits.git'), 'main'], {
      check: false,
    });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('pack declares more objects than allowed');
    expect(push.stderr).toContain('limit 5');
  });

  it('needs a token to read when anonymous reads are off', async () => {
    await makeFileHistory(join(fx.work, 'small'), 1);
    await fx.git(2, ['-C', join(fx.work, 'small'), 'push', '-q', fx.url('/import/private.git'), 'main']);
    const anonymous = await fx.anonymous(2, ['clone', fx.url('/import/private.git'), join(fx.work, 'no')], {
      check: false,
    });
    expect(anonymous.code).not.toBe(0);
    await fx.git(2, ['clone', '-q', fx.url('/import/private.git'), join(fx.work, 'yes')]);
  });
});

describe('health and metrics of mega serve', () => {
  let fx: HttpFixture;
  beforeAll(async () => {
    fx = await startHttpFixture();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('answers /healthz, /readyz and /metrics with git counters', async () => {
    expect((await fetch(fx.url('/healthz'))).status).toBe(200);
    expect((await fetch(fx.url('/readyz'))).status).toBe(200);
    await fetch(fx.url('/import/none.git/info/refs?service=git-upload-pack'));
    const metrics = await (await fetch(fx.url('/metrics'))).text();
    expect(metrics).toContain('mega_process_cpu_user_seconds_total');
    expect(metrics).toContain('mega_git_requests_total');
    const unknown = await fetch(fx.url('/no/such/route'));
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe('route_not_found');
  });
});
