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

  it('reads the seed environment names', () => {
    const config = loadConfig({
      env: { GIT_REPO_BASE_DIR: '/srv/r', GIT_REPO_KEEP_DAYS: '3', GIT_COMMAND_TIMEOUT: '9' },
    });
    expect(config.sync).toMatchObject({ repoBaseDir: '/srv/r', keepDays: 3, commandTimeoutSeconds: 9 });
  });

  it('lets flags win over the environment', () => {
    const config = loadConfig({ env: { MEGA_PORT: '9000' }, overrides: { port: 9100 } });
    expect(config.port).toBe(9100);
  });

  it('rejects invalid values with a typed error', () => {
    expect(() => loadConfig({ env: { MEGA_PORT: 'seventy' } })).toThrow(MegaError);
    expect(() => loadConfig({ env: { MEGA_ANONYMOUS_READ: 'maybe' } })).toThrow(/invalid configuration/);
  });
});
