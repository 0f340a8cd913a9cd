import { Migrator, NO_MIGRATIONS, type Migration, type MigrationResultSet } from 'kysely';
import { isMegaError, MegaError } from '../../platform/errors.js';
import type { MegaDatabase } from '../open-database.js';
import { MIGRATIONS } from './index.js';

/** Kysely's migrator fed from `MIGRATIONS`, with the dialect's capabilities bound in. */
function migratorFor(database: MegaDatabase): Migrator {
  const { db, capabilities } = database;
  const migrations: Record<string, Migration> = {};
  for (const { name, migration } of MIGRATIONS) {
    migrations[name] = {
      up: (target) => migration.up(target, capabilities),
      down: (target) => migration.down(target, capabilities),
    };
  }
  return new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
}

function check(result: MigrationResultSet, action: string): string[] {
  if (result.error !== undefined) {
    // A database out of reach (or a full disk) is not a broken migration: say that.
    if (isMegaError(result.error, 'unavailable')) throw result.error;
    const failed = result.results?.find((step) => step.status === 'Error')?.migrationName;
    throw new MegaError(
      'internal',
      'migration_failed',
      `database ${action} failed`,
      { migration: failed },
      {
        cause: result.error,
      },
    );
  }
  return (result.results ?? []).map((step) => step.migrationName);
}

/** Applies every pending migration (each in a transaction where the database allows); returns their names. */
export async function migrateToLatest(database: MegaDatabase): Promise<string[]> {
  return check(await migratorFor(database).migrateToLatest(), 'migration');
}

/** Reverts the latest applied migration; returns its name (empty when none is applied). */
export async function migrateDown(database: MegaDatabase): Promise<string[]> {
  return check(await migratorFor(database).migrateDown(), 'rollback');
}

/** Reverts every migration (tests and `mega migrate --down-all`). */
export async function migrateDownAll(database: MegaDatabase): Promise<string[]> {
  return check(await migratorFor(database).migrateTo(NO_MIGRATIONS), 'rollback');
}

/** Names of applied and pending migrations. */
export async function migrationStatus(
  database: MegaDatabase,
): Promise<Array<{ name: string; applied: boolean }>> {
  const list = await migratorFor(database).getMigrations();
  return list.map((info) => ({ name: info.name, applied: info.executedAt !== undefined }));
}
