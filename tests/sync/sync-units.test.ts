import { describe, expect, it } from 'vitest';
import { classifyGitFailure, isRetryable } from '../../src/sync/error-class.js';
import { GitRunner } from '../../src/sync/git-runner.js';
import { Redactor, REDACTED, truncateText } from '../../src/sync/redact.js';
import { DeploymentSecret } from '../../src/platform/deployment-secret.js';
import { SecretBox } from '../../src/platform/secret-box.js';
import { sealAsV1 } from './support/legacy-seal.js';
import { parseSyncMessage, serializeSyncMessage, type SyncMessage } from '../../src/sync/sync-message.js';
import { assertPathId, CopyLayout, newWorkerId, parseCopyName, within } from '../../src/sync/copy-paths.js';
import { parseRemoteUrl } from '../../src/sync/remote-url.js';
import { assertBranchName, assertMirrorPath } from '../../src/sync/sync-spec.js';
import { knownHostsText } from '../../src/sync/git-auth.js';
import { parseSchedule } from '../../src/sync/sync-schedule.js';
import { randomBytes } from 'node:crypto';

describe('error classifier', () => {
  const cases: Array<[string, string]> = [
    ["fatal: Authentication failed for 'https://h/r.git/'", 'auth'],
    ["fatal: could not read Username for 'https://h': terminal prompts disabled", 'auth'],
    ['git@h: Permission denied (publickey).\nfatal: Could not read from remote repository.', 'auth'],
    ["remote: Repository not found.\nfatal: repository 'https://h/r.git/' not found", 'not_found'],
    ["fatal: '/x' does not appear to be a git repository", 'not_found'],
    ["fatal: unable to access 'https://h/': The requested URL returned error: 404", 'not_found'],
    ["fatal: couldn't find remote ref refs/heads/nope", 'ref_not_found'],
    ['warning: Remote branch nope not found in upstream origin', 'ref_not_found'],
    [
      'No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.\nfatal: Could not read from remote repository.',
      'host_key',
    ],
    ['@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@', 'host_key'],
    ["fatal: unable to access 'https://h/': SSL certificate problem: self-signed certificate", 'tls'],
    ["fatal: unable to access 'https://h/': server certificate verification failed. CAfile: none", 'tls'],
    ["fatal: unable to access 'https://h/': Failed to connect to h port 443: Connection refused", 'network'],
    ["fatal: unable to access 'https://h/': Could not resolve host: h", 'network'],
    ['error: RPC failed; curl 56 Recv failure: Connection reset by peer\nfatal: early EOF', 'network'],
    ["fatal: unable to access 'https://h/': The requested URL returned error: 503", 'network'],
    ["fatal: unable to access 'https://h/': Received HTTP code 403 from proxy after CONNECT", 'network'],
    ['error: unable to write file x: No space left on device', 'disk'],
    ['something nobody expected', 'unknown'],
    ['', 'unknown'],
  ];
  it.each(cases)('%s → %s', (stderr, expected) => {
    expect(classifyGitFailure(stderr)).toBe(expected);
  });
  it('lets a timeout override the text, and retries only network and timeout', () => {
    expect(classifyGitFailure('Authentication failed', { timedOut: true })).toBe('timeout');
    expect(['network', 'timeout'].every((c) => isRetryable(c as never))).toBe(true);
    expect(
      ['auth', 'not_found', 'ref_not_found', 'host_key', 'tls', 'disk', 'unknown'].some((c) =>
        isRetryable(c as never),
      ),
    ).toBe(false);
  });
});

describe('redaction', () => {
  it('removes the secret, its URL and base64 encodings, longest first', () => {
    const secret = 'p@ss w/rd:42';
    const redactor = new Redactor([secret, `alice:${secret}`]);
    const text = `a ${secret} b ${encodeURIComponent(secret)} c ${Buffer.from(`alice:${secret}`).toString('base64')}`;
    const out = redactor.redact(text);
    expect(out).not.toContain(secret);
    expect(out).not.toContain(encodeURIComponent(secret));
    expect(out).not.toContain(Buffer.from(`alice:${secret}`).toString('base64'));
    expect(out.split(REDACTED).length - 1).toBe(3);
  });
  it('redacts the password of a proxy URL handed to git, wherever git prints it', async () => {
    const runner = new GitRunner({
      timeoutMs: 10_000,
      passEnv: { HTTPS_PROXY: 'http://proxy-user:s3cret%40pass@127.0.0.1:3128' },
    });
    try {
      const result = await runner.run(['rev-parse', '--sq-quote'], ['s3cret@pass']);
      expect(result.stdout).toContain(REDACTED);
      expect(result.stdout).not.toContain('s3cret');
    } finally {
      await runner.dispose();
    }
  });
  it('ignores secrets too short to search for', () => {
    expect(new Redactor(['ab']).redact('abc')).toBe('abc');
  });
  it('truncates at line boundaries, keeping the tail or the head', () => {
    const text = `${'x'.repeat(50)}\nSECRETHALF${'y'.repeat(50)}\nlast line\n`;
    const tail = truncateText(text, 30, 'tail');
    expect(tail.endsWith('last line\n')).toBe(true);
    expect(tail).not.toContain('SECRET');
    expect(truncateText(text, 60, 'head')).toContain('x'.repeat(50));
    expect(truncateText('short', 100)).toBe('short');
  });
});

describe('credential encryption', () => {
  const box = new SecretBox(randomBytes(32));
  it('round-trips and never stores plaintext', () => {
    const sealed = box.seal('hunter2-token', 'sync_credentials:1');
    expect(sealed).not.toContain('hunter2');
    expect(sealed.startsWith('v2.')).toBe(true);
    expect(box.open(sealed, 'sync_credentials:1')).toBe('hunter2-token');
    expect(box.seal('same', 'a')).not.toBe(box.seal('same', 'a'));
  });
  it('refuses tampering, another row and another key', () => {
    const sealed = box.seal('secret-value', 'sync_credentials:1');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3] as string, 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    const tampered = [parts[0], parts[1], parts[2], body.toString('base64url')].join('.');
    expect(() => box.open(tampered, 'sync_credentials:1')).toThrow(/cannot be decrypted/);
    expect(() => box.open(sealed, 'sync_credentials:2')).toThrow(/cannot be decrypted/);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'sync_credentials:1')).toThrow(
      /cannot be decrypted/,
    );
    for (const bad of ['', 'v2', 'v3.a.b.c', 'v2.AAAA.BBBB.CCCC', `${parts[0]}.${parts[1]}.${parts[2]}`]) {
      expect(() => box.open(bad, 'x')).toThrow();
    }
  });
  it('opens values sealed before key derivation (v1, the secret itself as key) and no others', () => {
    const master = randomBytes(32);
    const secret = new DeploymentSecret(master, 'data directory');
    const legacy = sealAsV1(master, 'old-token', 'sync_credentials:3');
    expect(SecretBox.of(secret).open(legacy, 'sync_credentials:3')).toBe('old-token');
    // Without the legacy key (or with another secret) a v1 value does not open.
    expect(() => new SecretBox(secret.derive('x')).open(legacy, 'sync_credentials:3')).toThrow(/malformed/);
    const other = SecretBox.of(new DeploymentSecret(randomBytes(32), 'data directory'));
    expect(() => other.open(legacy, 'sync_credentials:3')).toThrow(/cannot be decrypted/);
    // New values use the derived key, not the secret itself.
    const sealed = SecretBox.of(secret).seal('new-token', 'sync_credentials:3');
    expect(sealed.startsWith('v2.')).toBe(true);
    expect(() => new SecretBox(randomBytes(32), master).open(sealed, 'sync_credentials:3')).toThrow(
      /cannot be decrypted/,
    );
  });
});

describe('bus message', () => {
  const message: SyncMessage = {
    action: 'sync',
    request_id: '6f1c1b1e-9d55-4c4e-8a48-5d8e0b7a1c2d',
    task_type: 'manual',
    tenant_id: 1,
    repository_id: 15,
    repository: {
      id: 15,
      name: 'ansible-playbooks',
      url: 'https://github.com/example/ansible-playbooks.git',
      branch: 'main',
      is_public: false,
      credential_id: 5,
    },
    operator_id: 100,
  };
  it('round-trips the seed example plus request_id and task_type', () => {
    expect(parseSyncMessage(serializeSyncMessage(message))).toEqual(message);
  });
  it('has no field that can carry a secret', () => {
    for (const extra of [{ password: 'x' }, { token: 'x' }, { secret: 'x' }, { ssh_key: 'x' }]) {
      expect(() => parseSyncMessage(JSON.stringify({ ...message, ...extra }))).toThrow(/schema/);
      expect(() =>
        parseSyncMessage(JSON.stringify({ ...message, repository: { ...message.repository, ...extra } })),
      ).toThrow(/schema/);
    }
    const withUserinfo = {
      ...message,
      repository: { ...message.repository, url: 'https://alice:secret@h/r.git' },
    };
    expect(() => parseSyncMessage(JSON.stringify(withUserinfo))).toThrow(/schema/);
  });
  it('refuses malformed, truncated, oversized and inconsistent messages', () => {
    const text = JSON.stringify(message);
    expect(() => parseSyncMessage(text.slice(0, 40))).toThrow(/not JSON/);
    expect(() => parseSyncMessage('null')).toThrow(/schema/);
    expect(() => parseSyncMessage(`"${'x'.repeat(20_000)}"`)).toThrow(/too large/);
    expect(() => parseSyncMessage(JSON.stringify({ ...message, repository_id: 16 }))).toThrow(/schema/);
    expect(() => parseSyncMessage(JSON.stringify({ ...message, action: 'rm -rf' }))).toThrow(/schema/);
    expect(() => parseSyncMessage(JSON.stringify({ ...message, tenant_id: -1 }))).toThrow(/schema/);
    expect(() => parseSyncMessage(JSON.stringify({ ...message, tenant_id: '1/../2' }))).toThrow(/schema/);
  });
});

describe('bus message in the seed shape (000 §3.3, without request_id and task_type)', () => {
  // The seed's example verbatim, less its `//` comments (JSON has none).
  const seedText = `{
    "action": "sync",
    "tenant_id": 1,
    "repository_id": 15,
    "repository": {
        "id": 15,
        "name": "ansible-playbooks",
        "url": "https://github.com/example/ansible-playbooks.git",
        "branch": "main",
        "is_public": false,
        "credential_id": 5
    },
    "operator_id": 100
}`;
  const seed = JSON.parse(seedText) as Record<string, unknown> & { repository: Record<string, unknown> };
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('accepts the seed example, generating request_id and defaulting task_type to manual', () => {
    const parsed = parseSyncMessage(seedText);
    expect(parsed).toMatchObject({ ...seed, task_type: 'manual' });
    expect(parsed.request_id).toMatch(uuid);
    // Each message is its own request.
    expect(parseSyncMessage(seedText).request_id).not.toBe(parsed.request_id);
    // What the bus re-publishes carries both fields and parses to the same message.
    expect(parseSyncMessage(serializeSyncMessage(parsed))).toEqual(parsed);
  });

  it('accepts delete, a null operator and a public repository without credential', () => {
    const text = JSON.stringify({
      ...seed,
      action: 'delete',
      operator_id: null,
      repository: { ...seed.repository, is_public: true, credential_id: null },
    });
    expect(parseSyncMessage(text)).toMatchObject({
      action: 'delete',
      operator_id: null,
      task_type: 'manual',
    });
  });

  it('keeps a request_id and task_type the producer gives, and checks them', () => {
    const requestId = '6f1c1b1e-9d55-4c4e-8a48-5d8e0b7a1c2d';
    expect(
      parseSyncMessage(JSON.stringify({ ...seed, request_id: requestId, task_type: 'scheduled' })),
    ).toMatchObject({ request_id: requestId, task_type: 'scheduled' });
    expect(() => parseSyncMessage(JSON.stringify({ ...seed, request_id: 'not-a-uuid' }))).toThrow(/schema/);
    expect(() => parseSyncMessage(JSON.stringify({ ...seed, request_id: null }))).toThrow(/schema/);
    expect(() => parseSyncMessage(JSON.stringify({ ...seed, task_type: 'cron' }))).toThrow(/schema/);
  });

  it('refuses extra fields at either level', () => {
    expect(() => parseSyncMessage(JSON.stringify({ ...seed, priority: 1 }))).toThrow(/schema/);
    expect(() =>
      parseSyncMessage(JSON.stringify({ ...seed, repository: { ...seed.repository, password: 'x' } })),
    ).toThrow(/schema/);
  });

  it('refuses the seed shape with any other field missing', () => {
    for (const field of ['action', 'tenant_id', 'repository_id', 'repository', 'operator_id']) {
      const rest: Record<string, unknown> = { ...seed };
      delete rest[field];
      expect(() => parseSyncMessage(JSON.stringify(rest)), field).toThrow(/schema/);
    }
    for (const field of ['id', 'name', 'url', 'branch', 'is_public', 'credential_id']) {
      const repository: Record<string, unknown> = { ...seed.repository };
      delete repository[field];
      expect(() => parseSyncMessage(JSON.stringify({ ...seed, repository })), field).toThrow(/schema/);
    }
  });

  it('refuses bad types', () => {
    const bad: Array<Record<string, unknown>> = [
      { tenant_id: '1' },
      { tenant_id: 1.5 },
      { repository_id: '15' },
      { operator_id: '100' },
      { action: 'SYNC' },
      { repository: 'ansible-playbooks' },
      { repository: { ...seed.repository, is_public: 'false' } },
      { repository: { ...seed.repository, credential_id: '5' } },
      { repository: { ...seed.repository, id: 16 } },
      { repository: { ...seed.repository, url: 42 } },
      { repository: { ...seed.repository, branch: '' } },
    ];
    for (const patch of bad) {
      expect(() => parseSyncMessage(JSON.stringify({ ...seed, ...patch })), JSON.stringify(patch)).toThrow(
        /schema/,
      );
    }
    expect(() => parseSyncMessage(JSON.stringify([seed]))).toThrow(/schema/);
    expect(() => parseSyncMessage(seedText.slice(0, seedText.length - 2))).toThrow(/not JSON/);
  });
});

describe('paths and names', () => {
  it('makes worker ids and copy names of the seed layout', () => {
    const id = newWorkerId('server01');
    expect(id).toMatch(/^worker-server01-[0-9a-f]{8}$/);
    expect(newWorkerId('we_ird/host name')).toMatch(/^worker-we-ird-host-name-[0-9a-f]{8}$/);
    const layout = new CopyLayout('/data/repos');
    const copy = layout.newCopyDir(1, 15, id, new Date(1703123456_000));
    expect(copy).toMatch(new RegExp(`^/data/repos/1/15/${id}_1703123456_[a-z0-9]{6}$`));
    expect(parseCopyName(copy.split('/').pop() as string)).toMatchObject({
      workerId: id,
      unixTs: 1703123456,
    });
    for (const bad of ['x', `${id}_1_abc`, `${id}_abc_abcdef`, `../${id}_1_abcdef`])
      expect(parseCopyName(bad)).toBeNull();
  });
  it('refuses ids and paths that could escape', () => {
    const layout = new CopyLayout('/data/repos');
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 60]) expect(() => assertPathId(bad, 'id')).toThrow();
    expect(() => layout.newCopyDir(1, 1, '../../etc')).toThrow();
    expect(() => layout.cacheDir('worker-x-00000000/../..', 1, 1)).toThrow();
    expect(() => within('/data/repos', '..', 'etc')).toThrow(/escapes/);
    expect(() => within('/data/repos', '/etc')).toThrow(/escapes/);
    expect(within('/data/repos', '1', '2')).toBe('/data/repos/1/2');
  });
  it('validates remote urls, branches and mirror paths', () => {
    expect(parseRemoteUrl('https://example.com/a.git').transport).toBe('http');
    expect(parseRemoteUrl('git@example.com:a/b.git')).toMatchObject({
      transport: 'ssh',
      host: 'example.com',
    });
    expect(parseRemoteUrl('ssh://git@example.com:2222/a.git')).toMatchObject({
      transport: 'ssh',
      port: 2222,
    });
    for (const bad of [
      '',
      '-uhttps://x',
      'ext::sh -c touch% /tmp/pwned',
      'fd::3',
      'https://u:p@h/r',
      'https://tok@h/r',
      'https://h/a b',
      'https://h/\n',
    ]) {
      expect(() => parseRemoteUrl(bad), bad).toThrow();
    }
    for (const good of ['main', 'release/1.0', 'feature-x']) expect(assertBranchName(good)).toBe(good);
    for (const bad of ['-f', '--upload-pack=x', 'a..b', 'a b', 'a~1', 'x.lock', '/a', 'a/', '@', 'a@{1}', ''])
      expect(() => assertBranchName(bad), bad).toThrow();
    expect(assertMirrorPath('/import/playbooks')).toBe('/import/playbooks');
    for (const bad of ['/projects/x', '/import', '/import/../projects', 'import/x', '/import/a b'])
      expect(() => assertMirrorPath(bad), bad).toThrow();
  });
  it('binds a bare known-host key to the url host', () => {
    expect(knownHostsText('ssh-ed25519 AAAA', '127.0.0.1', 2222)).toBe('[127.0.0.1]:2222 ssh-ed25519 AAAA\n');
    expect(knownHostsText('ssh-ed25519 AAAA', 'h', 22)).toBe('h ssh-ed25519 AAAA\n');
    expect(knownHostsText('# c\nh ssh-rsa BBBB\n', 'x', null)).toBe('h ssh-rsa BBBB\n');
  });
  it('parses cron and interval schedules', () => {
    expect(parseSchedule('*/5 * * * *')).toEqual({ kind: 'cron', pattern: '*/5 * * * *' });
    expect(parseSchedule('@every 10m')).toEqual({ kind: 'interval', ms: 600_000 });
    for (const bad of ['', '@every 1s', 'every day', '* * *', '61 * * * *', 'x'.repeat(200)])
      expect(() => parseSchedule(bad), bad).toThrow();
  });
});
