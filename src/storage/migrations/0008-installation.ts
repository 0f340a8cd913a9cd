import { createTable, TIMESTAMP_TYPE, type MegaMigration } from './migration.js';

/**
 * Settings of the installation as a whole, shared by every process on the database: its id
 * (which namespaces Redis) and the fingerprint of the deployment secret (which refuses a process
 * started with another key). One row per name; values are written once and then only read.
 */
export const installationMigration: MegaMigration = {
  async up(db, caps) {
    await createTable(db, caps, 'installation_settings', { withId: false, keyOnly: true })
      .addColumn('name', 'varchar(64)', (c) => c.notNull().primaryKey())
      .addColumn('value', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('installation_settings').execute();
  },
};
