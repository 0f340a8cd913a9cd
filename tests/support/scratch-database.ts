import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { SERVICES } from './services.js';
import { migrateToLatest } from '../../src/storage/migrations/migrator.js';
import { openDatabase, type MegaDatabase } from '../../src/storage/open-database.js';
import { createStorage, type Storage, type StorageConfig } from '../../src/storage/storage.js';

export type DialectName = 'sqlite' | 'postgres' | 'mysql';
export const DIALECT_NAMES: readonly DialectName[] = ['sqlite', 'postgres', 'mysql'];

/** A throw-away database (its own PostgreSQL/MariaDB database or SQLite file) and data directory. */
export interface ScratchDatabase {
  readonly dialect: DialectName;
  readonly url: string;
  readonly dataDir: string;
  readonly database: MegaDatabase;
  /** Closes the connection, drops the database and removes the data directory. */
  drop(): Promise<void>;
}

function uniqueName(): string {
  return `mega_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

function serverUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withPostgresAdmin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVICES.postgres.url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function withMysqlAdmin(statement: string): Promise<void> {
  const connection = await createConnection({ uri: SERVICES.mysql.url.replace(/\/[^/]*$/, '/') });
  try {
    await connection.query(statement);
  } finally {
    await connection.end();
  }
}

/** Creates, opens and (unless `migrate: false`) migrates a scratch database of one dialect. */
export async function createScratchDatabase(
  dialect: DialectName,
  options: { migrate?: boolean } = {},
): Promise<ScratchDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), `mega-${dialect}-`));
  const name = uniqueName();
  let url: string;
  let dropServerDatabase = async (): Promise<void> => {};
  if (dialect === 'sqlite') {
    url = `sqlite:${join(dataDir, 'mega.db')}`;
  } else if (dialect === 'postgres') {
    await withPostgresAdmin(`CREATE DATABASE "${name}"`);
    url = serverUrl(SERVICES.postgres.url, name);
    dropServerDatabase = () => withPostgresAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } else {
    await withMysqlAdmin(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    url = serverUrl(SERVICES.mysql.url, name);
    dropServerDatabase = () => withMysqlAdmin(`DROP DATABASE IF EXISTS \`${name}\``);
  }
  const database = openDatabase(url);
  if (options.migrate ?? true) await migrateToLatest(database);
  return {
    dialect,
    url,
    dataDir,
    database,
    async drop() {
      await database.close();
      await dropServerDatabase();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The stores over a scratch database (its data directory for object files). */
export function scratchStorage(
  scratch: ScratchDatabase,
  largeObjectThreshold: number,
  config: Partial<StorageConfig> = {},
): Storage {
  return createStorage(scratch.database, {
    databaseUrl: scratch.url,
    dataDir: scratch.dataDir,
    largeObjectThreshold,
    ...config,
  });
}
