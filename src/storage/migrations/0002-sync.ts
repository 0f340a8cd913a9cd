import type { MegaMigration } from './migration.js';
import { createTable, OBJECT_ID_TYPE, TIMESTAMP_TYPE } from './migration.js';

/**
 * Sync workers (seed 000, SPEC §8). Tables and why:
 * - `tenants`, `tenant_members`: the seed isolates tenants by path; the REST API is scoped by them.
 * - `sync_credentials`: password | token | ssh_key; `secret_sealed` is AES-256-GCM output
 *   (never plaintext), `known_host` the server's public host key line for SSH.
 * - `sync_repositories`: the seed's repository fields plus the §11 options (branches, depth,
 *   filter, lfs, submodules, schedule, strict host key checking, mirror_to).
 * - `sync_requests` + `sync_request_results`: the durable side of the Pub/Sub broadcast, so a
 *   worker that was down reconciles what it missed; results are per worker.
 * - `git_sync_log`: the seed's log fields plus error class, from/to commit, worker and request.
 * - `sync_workers`: heartbeats (health, standby workers); `sync_locks`: leases with an expiry
 *   (one scheduler fires across servers).
 * Booleans are 0/1 smallints and times ISO text, like the core tables.
 */
export const syncMigration: MegaMigration = {
  async up(db, caps) {
    await createTable(db, caps, 'tenants')
      .addColumn('name', 'varchar(128)', (c) => c.notNull().unique())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();

    await createTable(db, caps, 'tenant_members', { withId: false })
      .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('user_id', 'bigint', (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addPrimaryKeyConstraint('tenant_members_pk', ['tenant_id', 'user_id'])
      .execute();

    await createTable(db, caps, 'sync_credentials')
      .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('name', 'varchar(128)', (c) => c.notNull())
      .addColumn('type', 'varchar(16)', (c) => c.notNull())
      .addColumn('username', 'varchar(255)')
      .addColumn('secret_sealed', caps.types.text, (c) => c.notNull())
      .addColumn('known_host', caps.types.text)
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addUniqueConstraint('sync_credentials_tenant_name', ['tenant_id', 'name'])
      .execute();

    await createTable(db, caps, 'sync_repositories')
      .addColumn('tenant_id', 'bigint', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('url', caps.types.text, (c) => c.notNull())
      .addColumn('branch', 'varchar(255)', (c) => c.notNull())
      .addColumn('extra_branches', caps.types.text, (c) => c.notNull())
      .addColumn('is_public', 'smallint', (c) => c.notNull())
      .addColumn('credential_id', 'bigint')
      .addColumn('schedule', 'varchar(128)')
      .addColumn('depth', 'integer')
      .addColumn('filter', 'varchar(64)')
      .addColumn('lfs', 'smallint', (c) => c.notNull())
      .addColumn('submodules', 'smallint', (c) => c.notNull())
      .addColumn('strict_host_key', 'smallint', (c) => c.notNull())
      .addColumn('mirror_to', 'varchar(512)')
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addUniqueConstraint('sync_repositories_tenant_name', ['tenant_id', 'name'])
      .execute();

    await createTable(db, caps, 'sync_requests')
      .addColumn('request_id', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('tenant_id', 'bigint', (c) => c.notNull())
      .addColumn('repository_id', 'bigint', (c) => c.notNull())
      .addColumn('action', 'varchar(16)', (c) => c.notNull())
      .addColumn('task_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('operator_id', 'bigint')
      .addColumn('message', caps.types.text, (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('sync_requests_repository')
      .on('sync_requests')
      .columns(['repository_id', 'id'])
      .execute();

    await createTable(db, caps, 'sync_request_results', { withId: false })
      .addColumn('request_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('worker_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('finished_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addPrimaryKeyConstraint('sync_request_results_pk', ['request_id', 'worker_id'])
      .execute();

    await createTable(db, caps, 'git_sync_log')
      .addColumn('tenant_id', 'bigint', (c) => c.notNull())
      .addColumn('repository_id', 'bigint', (c) => c.notNull())
      .addColumn('request_id', 'varchar(36)')
      .addColumn('worker_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('task_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('operator_id', 'bigint')
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('started_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('finished_at', TIMESTAMP_TYPE)
      .addColumn('duration_ms', 'bigint')
      .addColumn('local_path', caps.types.text)
      .addColumn('command_output', caps.types.text)
      .addColumn('error_message', caps.types.text)
      .addColumn('error_class', 'varchar(32)')
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('from_commit', OBJECT_ID_TYPE)
      .addColumn('to_commit', OBJECT_ID_TYPE)
      .addColumn('bytes_on_disk', 'bigint')
      .execute();
    await db.schema
      .createIndex('git_sync_log_repository')
      .on('git_sync_log')
      .columns(['repository_id', 'id'])
      .execute();
    await db.schema
      .createIndex('git_sync_log_tenant')
      .on('git_sync_log')
      .columns(['tenant_id', 'id'])
      .execute();

    await createTable(db, caps, 'sync_workers', { withId: false })
      .addColumn('worker_id', 'varchar(100)', (c) => c.notNull().primaryKey())
      .addColumn('hostname', 'varchar(255)', (c) => c.notNull())
      .addColumn('started_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('last_seen_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();

    await createTable(db, caps, 'sync_locks', { withId: false })
      .addColumn('name', 'varchar(191)', (c) => c.notNull().primaryKey())
      .addColumn('holder', 'varchar(100)', (c) => c.notNull())
      .addColumn('expires_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();
  },

  async down(db) {
    for (const table of [
      'sync_locks',
      'sync_workers',
      'git_sync_log',
      'sync_request_results',
      'sync_requests',
      'sync_repositories',
      'sync_credentials',
      'tenant_members',
      'tenants',
    ]) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};
