import type { AccessTables } from './access/schema.js';
import type { CloneWalkTipTables } from './clone-walk-tips/schema.js';
import type { GithubTables } from './github/schema.js';
import type { InstallationTables } from './installation/schema.js';
import type { LfsTables } from './lfs/schema.js';
import type { MonorepoTables } from './monorepo/schema.js';
import type { ReviewTables } from './review/schema.js';
import type { CoreTables } from './schema.js';
import type { SearchTables } from './search/schema.js';
import type { SshTables } from './ssh/schema.js';
import type { SyncTables } from './sync/schema.js';

/**
 * The whole schema as one Kysely type, composed from each area's table interfaces.
 *
 * Convention: an area that adds tables (in its own migration, see `migrations/index.ts`) declares
 * their row types in its own file (e.g. `src/storage/sync/schema.ts` exporting `SyncTables`) and
 * adds ONE import and ONE `& SyncTables` term below. Nobody edits another area's table file.
 */
export type Database = CoreTables &
  AccessTables &
  CloneWalkTipTables &
  GithubTables &
  InstallationTables &
  LfsTables &
  MonorepoTables &
  ReviewTables &
  SearchTables &
  SshTables &
  SyncTables;
