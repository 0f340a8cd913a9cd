import type { MegaMigration } from './migration.js';

/**
 * Directory views filtered by permissions (issue 16): a reader who may not read every repository
 * of a view gets its own chain of synthetic commits, keyed by the view path and the set of paths
 * left out (`view_key` hashes both, so the unfiltered chains keep their keys). `hidden` keeps
 * that set (a JSON array of paths, null for an unfiltered chain) so that a new filtered chain can
 * start on a chain that left out at least as much, and its readers' `git pull` fast-forwards
 * after a grant (see `src/monorepo/synthetic-commit.ts`).
 */
export const viewHiddenMigration: MegaMigration = {
  async up(db, caps) {
    await db.schema.alterTable('mega_view_commit').addColumn('hidden', caps.types.text).execute();
  },

  async down(db) {
    await db.schema.alterTable('mega_view_commit').dropColumn('hidden').execute();
  },
};
