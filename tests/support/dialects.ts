import { afterAll, beforeAll, describe } from 'vitest';
import { serviceAvailable } from './services.js';
import {
  createScratchDatabase,
  DIALECT_NAMES,
  type DialectName,
  type ScratchDatabase,
} from './scratch-database.js';

// Probed once per test file at import time, so suites can be skipped while they are collected.
const AVAILABLE: Readonly<Record<DialectName, boolean>> = {
  sqlite: true,
  postgres: await serviceAvailable('postgres'),
  mysql: await serviceAvailable('mysql'),
};

/**
 * Runs `suite` once per database: SQLite (a temp file), PostgreSQL and MariaDB (each in a freshly
 * created, uniquely named database, migrated to latest and dropped afterwards). `getDb()` returns
 * the scratch database of the running dialect; call it inside tests or hooks, not at collection
 * time. A missing server skips that dialect loudly, or fails the run under CI=true.
 *
 * Tests in one suite share the database: give each test its own repository paths.
 */
export function describeEachDialect(
  name: string,
  suite: (getDb: () => ScratchDatabase, dialect: DialectName) => void,
): void {
  for (const dialect of DIALECT_NAMES) {
    describe.skipIf(!AVAILABLE[dialect])(`${name} [${dialect}]`, () => {
      let scratch: ScratchDatabase | undefined;
      beforeAll(async () => {
        scratch = await createScratchDatabase(dialect);
      });
      afterAll(async () => {
        await scratch?.drop();
      });
      suite(() => {
        if (!scratch) throw new Error(`${dialect} database is not available`);
        return scratch;
      }, dialect);
    });
  }
}
