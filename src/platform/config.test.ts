import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { MegaError } from './errors.js';

describe('loadConfig', () => {
  it('defaults to an embedded SQLite file in the data directory', () => {
    const config = loadConfig({ env: {}, overrides: { dataDir: '/tmp/mega-x' } });
    expect(config.databaseUrl).toBe('sqlite:/tmp/mega-x/mega.db');
    expect(config.sync.repoBaseDir).toBe('/tmp/mega-x/repos');
    expect(config.sync.keepDays).toBe(7);
  });

  it('gives each git command 300 s by default, as the seed sets GIT_COMMAND_TIMEOUT', () => {
    expect(loadConfig({ env: {} }).sync.commandTimeoutSeconds).toBe(300);
    expect(loadConfig({ env: { GIT_REPO_KEEP_DAYS: '3' } }).sync.commandTimeoutSeconds).toBe(300);
  });

  it('reads the seed environment names', () => {
    const config = loadConfig({
      env: { GIT_REPO_BASE_DIR: '/srv/r', GIT_REPO_KEEP_DAYS: '3', GIT_COMMAND_TIMEOUT: '9' },
    });
    expect(config.sync).toMatchObject({ repoBaseDir: '/srv/r', keepDays: 3, commandTimeoutSeconds: 9 });
  });

  it('caps command sections at 10 MiB and display reads at 5 MiB by default, both configurable', () => {
    expect(loadConfig({ env: {} }).limits).toMatchObject({
      maxCommandBytes: 10 * 1024 * 1024,
      maxDisplayBytes: 5 * 1024 * 1024,
    });
    const config = loadConfig({ env: { MEGA_MAX_COMMAND_BYTES: '65536', MEGA_MAX_DISPLAY_BYTES: '1024' } });
    expect(config.limits).toMatchObject({ maxCommandBytes: 65536, maxDisplayBytes: 1024 });
    expect(() => loadConfig({ env: { MEGA_MAX_COMMAND_BYTES: '0' } })).toThrow(MegaError);
    expect(() => loadConfig({ env: { MEGA_MAX_DISPLAY_BYTES: 'lots' } })).toThrow(MegaError);
  });

  it('caps pushed commits, trees and tags at 64 MiB by default, configurable', () => {
    expect(loadConfig({ env: {} }).limits.maxNonBlobBytes).toBe(64 * 1024 * 1024);
    expect(loadConfig({ env: { MEGA_MAX_NON_BLOB_BYTES: '4096' } }).limits.maxNonBlobBytes).toBe(4096);
    expect(() => loadConfig({ env: { MEGA_MAX_NON_BLOB_BYTES: '-1' } })).toThrow(MegaError);
  });

  it('lets flags win over the environment', () => {
    const config = loadConfig({ env: { MEGA_PORT: '9000' }, overrides: { port: 9100 } });
    expect(config.port).toBe(9100);
  });

  it('reads the SSH port and host; no SSH unless asked', () => {
    expect(loadConfig({ env: {} }).sshPort).toBeUndefined();
    expect(loadConfig({ env: { MEGA_SSH_PORT: '2222', MEGA_SSH_HOST: '0.0.0.0' } })).toMatchObject({
      sshPort: 2222,
      sshHost: '0.0.0.0',
    });
    expect(loadConfig({ env: { MEGA_SSH_PORT: '2222' }, overrides: { sshPort: '0' } }).sshPort).toBe(0);
    expect(() => loadConfig({ env: { MEGA_SSH_PORT: '70000' } })).toThrow(MegaError);
  });

  it('reads the clone pack cache and ingest thread settings, and refuses nonsense for them', () => {
    expect(loadConfig({ env: {} })).toMatchObject({
      clonePackCache: { maxBytes: 1024 * 1024 * 1024, maxAgeSeconds: 600 },
      ingestThreads: 1,
    });
    expect(loadConfig({ env: {} }).ingestDecodeThreadMinObjects).toBe(20_000);
    const config = loadConfig({
      env: {
        MEGA_CLONE_PACK_CACHE_BYTES: '0',
        MEGA_CLONE_PACK_CACHE_MAX_AGE_SECONDS: '30',
        MEGA_INGEST_THREADS: '2',
        MEGA_INGEST_DECODE_THREAD_MIN_OBJECTS: '0',
      },
    });
    expect(config).toMatchObject({
      clonePackCache: { maxBytes: 0, maxAgeSeconds: 30 },
      ingestThreads: 2,
      ingestDecodeThreadMinObjects: 0,
    });
    for (const env of [
      { MEGA_CLONE_PACK_CACHE_BYTES: '-1' },
      { MEGA_CLONE_PACK_CACHE_BYTES: '1e400' },
      { MEGA_CLONE_PACK_CACHE_MAX_AGE_SECONDS: '0' },
      { MEGA_INGEST_THREADS: '0' },
      { MEGA_INGEST_THREADS: '1000' },
      { MEGA_INGEST_THREADS: 'all' },
      { MEGA_INGEST_DECODE_THREAD_MIN_OBJECTS: '-1' },
    ]) {
      expect(() => loadConfig({ env })).toThrow(MegaError);
    }
  });

  it('reads the fsck ids to ignore from the environment or the config file, and refuses unknown or fatal ones', async () => {
    expect(loadConfig({ env: {} }).git.fsckIgnore).toEqual([]);
    expect(loadConfig({ env: { MEGA_FSCK_IGNORE: 'missingEmail, badTimezone' } }).git.fsckIgnore).toEqual([
      'missingEmail',
      'badTimezone',
    ]);
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/mega-config-`);
    try {
      const file = `${dir}/config.json`;
      writeFileSync(file, JSON.stringify({ git: { fsckIgnore: ['zeroPaddedFilemode'] } }));
      expect(loadConfig({ env: {}, configFile: file }).git).toEqual({
        protectDefaultBranch: true,
        fsckIgnore: ['zeroPaddedFilemode'],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const value of ['missingemail', 'noSuchId', 'nulInHeader', 'hasDotgit,unterminatedHeader', '1']) {
      let error: unknown;
      try {
        loadConfig({ env: { MEGA_FSCK_IGNORE: value } });
      } catch (caught) {
        error = caught;
      }
      expect(error, value).toBeInstanceOf(MegaError);
      expect((error as MegaError).code).toBe('config_invalid');
      expect(JSON.stringify((error as MegaError).details)).toMatch(/fsckIgnore/);
    }
  });

  it('rejects invalid values with a typed error', () => {
    expect(() => loadConfig({ env: { MEGA_PORT: 'seventy' } })).toThrow(MegaError);
    expect(() => loadConfig({ env: { MEGA_ANONYMOUS_READ: 'maybe' } })).toThrow(/invalid configuration/);
  });
});
