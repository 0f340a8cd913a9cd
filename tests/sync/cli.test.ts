import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMega } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';

const SECRET = 'cli-token-8f7e6d5c4b3a';

describe('mega sync CLI', () => {
  let temp: { path: string; remove: () => Promise<void> };
  const mega = (args: string[], input?: string) =>
    runMega([...args, '--data', join(temp.path, 'data')], { input });
  beforeAll(async () => {
    temp = await makeTempDir('mega-sync-cli-');
  });
  afterAll(async () => temp?.remove());

  it('adds a tenant, a credential from stdin and a repository, printing ids; the secret is stored sealed', async () => {
    const tenant = await mega(['sync', 'tenant', 'add', 'cli-tenant']);
    expect(tenant.code, tenant.stderr).toBe(0);
    expect(tenant.stdout.trim()).toMatch(/^\d+$/);
    const credential = await mega(
      ['sync', 'credential', 'add', '--tenant', 'cli-tenant', '--type', 'token', '--name', 'ci'],
      `${SECRET}\n`,
    );
    expect(credential.code, credential.stderr).toBe(0);
    expect(credential.stdout.trim()).toMatch(/^\d+$/);
    expect(credential.stdout + credential.stderr).not.toContain(SECRET);
    for (const file of ['mega.db', 'mega.db-wal']) {
      const path = join(temp.path, 'data', file);
      if (existsSync(path)) expect(readFileSync(path).includes(Buffer.from(SECRET)), file).toBe(false);
    }
    const repo = await mega([
      'sync',
      'repo',
      'add',
      '--tenant',
      tenant.stdout.trim(),
      '--name',
      'r',
      '--url',
      'https://example.com/r.git',
      '--credential',
      credential.stdout.trim(),
      '--schedule',
      '*/15 * * * *',
      '--branches',
      'main,release',
    ]);
    expect(repo.code, repo.stderr).toBe(0);
    expect(repo.stdout.trim()).toMatch(/^\d+$/);
    const trigger = await mega(['sync', 'trigger', repo.stdout.trim()]);
    expect(trigger.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/);
    expect((await mega(['sync', 'logs', repo.stdout.trim(), '--json'])).stdout).toBe('');
  });

  it('refuses bad input with a clear error and exit code 1', async () => {
    const cases: string[][] = [
      ['sync', 'credential', 'add', '--tenant', 'cli-tenant', '--type', 'magic'],
      ['sync', 'credential', 'add', '--tenant', 'no-such-tenant', '--type', 'token'],
      [
        'sync',
        'repo',
        'add',
        '--tenant',
        'cli-tenant',
        '--name',
        'x',
        '--url',
        'https://u:p@example.com/r.git',
      ],
      [
        'sync',
        'repo',
        'add',
        '--tenant',
        'cli-tenant',
        '--name',
        'x',
        '--url',
        'https://example.com/r.git',
        '--branch',
        '--upload-pack=x',
      ],
      [
        'sync',
        'repo',
        'add',
        '--tenant',
        'cli-tenant',
        '--name',
        'x',
        '--url',
        'https://example.com/r.git',
        '--depth',
        '-3',
      ],
      ['sync', 'trigger', '999999'],
      ['sync', 'trigger', '1; rm -rf /'],
      ['sync', 'logs', 'abc'],
    ];
    for (const args of cases) {
      const result = await mega(args, 'secret-from-stdin\n');
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr, args.join(' ')).toMatch(/mega: |error/);
      expect(result.stderr).not.toContain('secret-from-stdin');
    }
  });
});
