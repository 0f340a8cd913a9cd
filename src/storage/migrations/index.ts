import { coreMigration } from './0001-core.js';
import { syncMigration } from './0002-sync.js';
import { lfsMigration } from './0003-lfs.js';
import { monorepoMigration } from './0004-monorepo.js';
import { membershipKeysMigration } from './0005-membership-keys.js';
import { cloneWalksMigration } from './0006-clone-walks.js';
import { objectChunksMigration } from './0007-object-chunks.js';
import { installationMigration } from './0008-installation.js';
import { lfsBlobsMigration } from './0009-lfs-blobs.js';
import { accessMigration } from './0010-access.js';
import { viewHiddenMigration } from './0011-view-hidden.js';
import { reviewMigration } from './0012-review.js';
import { searchMigration } from './0013-search.js';
import { sshKeysMigration } from './0014-ssh-keys.js';
import { githubMigration } from './0015-github.js';
import { cloneWalkTipsMigration } from './0016-clone-walk-tips.js';
import type { MegaMigration } from './migration.js';

/**
 * Every schema step, in order. Convention for areas that own tables:
 * - add a file `NNNN-<area>.ts` here exporting a `MegaMigration` (up AND down), using the
 *   helpers in `migration.ts` (`createTable`, `OBJECT_ID_TYPE`, `TIMESTAMP_TYPE`) and the
 *   capability types (`caps.types.blob`, `caps.types.text`) so it runs on all three databases;
 * - append ONE line to `MIGRATIONS` below (names sort in the order they run; never renumber or
 *   edit a migration that has been committed: add a new one);
 * - declare the row types in your own file and add them to `src/storage/database.ts`.
 * Reserved: 0002-sync (sync workers), 0003-lfs (LFS), 0004-monorepo (directory + merge requests).
 */
export const MIGRATIONS: ReadonlyArray<{ readonly name: string; readonly migration: MegaMigration }> = [
  { name: '0001-core', migration: coreMigration },
  { name: '0002-sync', migration: syncMigration },
  { name: '0003-lfs', migration: lfsMigration },
  { name: '0004-monorepo', migration: monorepoMigration },
  { name: '0005-membership-keys', migration: membershipKeysMigration },
  { name: '0006-clone-walks', migration: cloneWalksMigration },
  { name: '0007-object-chunks', migration: objectChunksMigration },
  { name: '0008-installation', migration: installationMigration },
  { name: '0009-lfs-blobs', migration: lfsBlobsMigration },
  { name: '0010-access', migration: accessMigration },
  { name: '0011-view-hidden', migration: viewHiddenMigration },
  { name: '0012-review', migration: reviewMigration },
  { name: '0013-search', migration: searchMigration },
  { name: '0014-ssh-keys', migration: sshKeysMigration },
  { name: '0015-github', migration: githubMigration },
  { name: '0016-clone-walk-tips', migration: cloneWalkTipsMigration },
];
