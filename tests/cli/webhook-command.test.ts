import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMega } from '../support/mega-process.js';
import { plainUser, startDirectoryServer, type DirectoryServer } from '../monorepo/harness.js';
import { eventually, startReceiver } from '../review/review-server.js';

const SECRET = 'cli-webhook-secret-0123';

/** `mega webhook` against a running server (`--server`) and on its data directory (operator). */
describe('mega webhook', () => {
  let mega: DirectoryServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let carol: string;

  beforeAll(async () => {
    // The receiver listens on loopback, which deliveries may reach only when allowed.
    mega = await startDirectoryServer({ env: { MEGA_WEBHOOK_ALLOWED_HOSTS: 'loopback' } });
    receiver = await startReceiver([200]);
    carol = (await plainUser(mega, 'carol')).token;
  });
  afterAll(async () => {
    await receiver?.close();
    await mega?.stop();
  });

  /** `mega webhook …` with a clean environment: no token or secret unless given. */
  const hook = (args: readonly string[], env: Record<string, string> = {}, input?: string) =>
    runMega(['webhook', ...args], {
      env: {
        MEGA_TOKEN: '',
        MEGA_WEBHOOK_SECRET: '',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_CONFIG_NOSYSTEM: '1',
        ...mega.env,
        ...env,
      },
      ...(input !== undefined ? { input } : {}),
    });
  const remote = (args: readonly string[], env: Record<string, string> = {}, input?: string) =>
    hook([...args, '--server', mega.server.url], { MEGA_TOKEN: mega.tokens.alice, ...env }, input);
  const local = (args: readonly string[], env: Record<string, string> = {}, input?: string) =>
    hook([...args, '--data', mega.dataDir], env, input);
  const signed = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

  it('adds a webhook through the server with the secret from the environment; the ping is signed with it', async () => {
    const added = await remote(['add', '/projects', receiver.url, '--events', 'push,merge_request'], {
      MEGA_WEBHOOK_SECRET: SECRET,
    });
    expect(added.stderr).toBe('');
    expect(added.stdout.trim()).toBe(
      `mega: webhook 1 on /projects posts merge_request, push events to ${receiver.url}; a ping delivery is queued`,
    );
    await receiver.next(1);
    const ping = receiver.received[0];
    expect(ping?.headers['x-mega-event']).toBe('ping');
    expect(ping?.headers['x-mega-signature-256']).toBe(signed(ping?.body ?? ''));

    const listed = await remote(['list']);
    expect(listed.stdout.trim()).toBe(`1\t/projects\t${receiver.url}\tmerge_request,push\tactive`);
    const json = JSON.parse((await remote(['list', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(json).toEqual([expect.objectContaining({ id: 1, path: '/projects', createdBy: 'alice' })]);
    expect(JSON.stringify(json)).not.toContain(SECRET);
  });

  it('lists deliveries and redelivers one as a new delivery', async () => {
    const deliveries = await eventually(
      () => remote(['deliveries', '1']),
      (result) => result.stdout.includes('delivered'),
    );
    expect(deliveries.stdout.trim()).toMatch(/^1\tping\tdelivered\t1 attempt\tHTTP 200\t\S+$/);
    const again = await remote(['redeliver', '1', '1']);
    expect(again.stdout.trim()).toBe('mega: queued delivery 2 of webhook 1, a copy of delivery 1');
    await receiver.next(2);
    expect(receiver.received[1]?.body).toBe(receiver.received[0]?.body);
    const log = await eventually(
      () => remote(['deliveries', '1', '--json']),
      (result) => result.stdout.includes('"delivered"') && !result.stdout.includes('"pending"'),
    );
    expect((JSON.parse(log.stdout) as Array<{ id: number }>).map((row) => row.id)).toEqual([2, 1]);
  });

  it('adds one on the data directory with the secret from stdin; the running server delivers it', async () => {
    const added = await local(
      ['add', '/import', `${receiver.url}?local`, '--secret-stdin', '--as', 'ops'],
      {},
      `${SECRET}\n`,
    );
    expect(added.stderr).toBe('');
    expect(added.stdout).toContain('mega: webhook 2 on /import posts push events');
    // Deliveries are queued in the database; the server's deliverer sends them.
    await receiver.next(3);
    expect(receiver.received[2]?.headers['x-mega-signature-256']).toBe(
      signed(receiver.received[2]?.body ?? ''),
    );
    expect((await local(['list'])).stdout.trim().split('\n')).toEqual([
      `1\t/projects\t${receiver.url}\tmerge_request,push\tactive`,
      `2\t/import\t${receiver.url}?local\tpush\tactive`,
    ]);
    const shown = JSON.parse((await remote(['list', '--json', '--path', '/import'])).stdout) as unknown[];
    expect(shown).toEqual([expect.objectContaining({ id: 2, createdBy: 'ops' })]);
  });

  it('never takes a secret from the command line, and says where to put it', async () => {
    for (const args of [
      ['add', '/projects', receiver.url, '--secret', SECRET],
      [`add`, '/projects', receiver.url, `--secret=${SECRET}`],
    ]) {
      const refused = await remote(args, { MEGA_WEBHOOK_SECRET: SECRET });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('never taken from the command line');
      expect(refused.stderr).not.toContain(SECRET);
    }
    const missing = await remote(['add', '/projects', receiver.url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('MEGA_WEBHOOK_SECRET');
    const tooMany = await remote(['add', '/projects', receiver.url, SECRET], { MEGA_WEBHOOK_SECRET: SECRET });
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).not.toContain(SECRET);
    expect((await local(['list'])).stdout.trim().split('\n')).toHaveLength(2);
  });

  it('refuses bad input with the service reason, remotely and locally', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['add', '/projects', receiver.url], { MEGA_WEBHOOK_SECRET: 'short' }, /8 to 256 printable ASCII/],
      [['add', '/projects', 'ftp://example.test/'], { MEGA_WEBHOOK_SECRET: SECRET }, /http or https/],
      [['add', '/projects', 'https://u:p@example.test/'], { MEGA_WEBHOOK_SECRET: SECRET }, /credentials/],
      [
        ['add', '/projects', receiver.url, '--events', 'push,nope'],
        { MEGA_WEBHOOK_SECRET: SECRET },
        /events must be/,
      ],
      [['add', '/a/../b', receiver.url], { MEGA_WEBHOOK_SECRET: SECRET }, /invalid path/],
      [['remove', 'x'], {}, /webhook id must be a positive whole number/],
      [['remove', '99'], {}, /no webhook 99/],
      [['deliveries', '1', '--limit', '0'], {}, /--limit must be a positive whole number/],
      [['deliveries', '1', '--limit', '101'], {}, /--limit is at most 100/],
      [['redeliver', '1', '999'], {}, /no delivery 999 of webhook 1/],
    ];
    for (const [args, env, message] of cases) {
      for (const [where, result] of [
        ['remote', await remote(args, env)],
        ['local', await local(args, env)],
      ] as const) {
        expect({ where, args, code: result.code }).toEqual({ where, args, code: 1 });
        expect(result.stderr).toMatch(message);
      }
    }
  });

  it('shows a user only the webhooks of paths they administer', async () => {
    expect((await remote(['list'], { MEGA_TOKEN: carol })).stdout.trim()).toBe('no webhooks');
    const refused = await remote(['add', '/projects', receiver.url], {
      MEGA_TOKEN: carol,
      MEGA_WEBHOOK_SECRET: SECRET,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/admin role on \/projects/);
    expect((await remote(['remove', '1'], { MEGA_TOKEN: carol })).stderr).toMatch(/no webhook 1/);
  });

  it('removes webhooks', async () => {
    expect((await remote(['remove', '1'])).stdout.trim()).toBe('mega: removed webhook 1');
    expect((await local(['remove', '2'])).stdout.trim()).toBe('mega: removed webhook 2');
    expect((await remote(['list'])).stdout.trim()).toBe('no webhooks');
  });
});
