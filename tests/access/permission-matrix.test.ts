import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceAvailable } from '../support/services.js';
import type { DialectName } from '../support/scratch-database.js';
import {
  clone,
  deleteBranch,
  directoryClone,
  fetchMain,
  forcePush,
  lfsDownload,
  lfsLock,
  lfsUpload,
  mergeMergeRequest,
  openMergeRequest,
  pushBranch,
  pushProtected,
  restList,
  restRead,
  uiPage,
  type Action,
} from './support/actions.js';
import { PATHS, startAccessWorld, type AccessWorld } from './support/access-world.js';
import { CALLERS, type Caller } from './support/callers.js';
import {
  denied,
  HIDDEN,
  OK,
  rejected,
  SELF_MERGE_DENIED,
  shows,
  UNAUTHENTICATED,
  type Outcome,
} from './support/outcomes.js';

/**
 * Issue 16's permission matrix: every caller tries every action against one `mega serve` per
 * database, with the real git and git-lfs, and each cell asserts its exact outcome.
 *
 * The world (support/access-world.ts): /import/secret and /projects/vault are private;
 * /import/open, /projects/app and /projects/lib are public. Authors may merge their own merge
 * requests in /projects/lib only (self-merge is off by default, administrators included). Team
 * `core` (reader, writer, maintainer) holds `read` on /import and /projects; the writer also
 * `write` there, the maintainer `maintain` (on one path the strongest grant wins); `other` is in
 * team `outsiders`, which holds grants elsewhere only. Branches `release/*` of /import/secret are
 * protected. The admin made everything (`mega token create --admin`).
 *
 * Outcomes: OK; UNAUTHENTICATED (401: git asks for credentials); HIDDEN (404: what cannot be
 * read does not exist); denied(role) (403 naming the role); rejected(role) (the push is
 * received but the ref refused, naming the role); SELF_MERGE_DENIED; shows(…) (OK, and exactly
 * these top-level names). `null`: the caller cannot get into the situation (no such cell).
 */
interface Row {
  readonly action: string;
  readonly run: Action;
  readonly cells: Readonly<Record<Caller, Outcome | null>>;
  /** Cells that move the same branch (merges into /projects/app) run one after the other. */
  readonly serial: boolean;
}

const row = (
  action: string,
  run: Action,
  [anonymous, other, reader, writer, maintainer, admin]: readonly (Outcome | null)[],
  options: { serial?: boolean } = {},
): Row => ({
  action,
  run,
  cells: {
    anonymous: anonymous ?? null,
    other: other ?? null,
    reader: reader ?? null,
    writer: writer ?? null,
    maintainer: maintainer ?? null,
    admin: admin ?? null,
  },
  serial: options.serial ?? false,
});

const { secret, open, app, lib } = PATHS;
const EVERYONE_CAN = [OK, OK, OK, OK, OK, OK];
const READERS_ONLY = [UNAUTHENTICATED, HIDDEN, OK, OK, OK, OK];
const WRITERS_ONLY = [UNAUTHENTICATED, HIDDEN, denied('write'), OK, OK, OK];
const MAINTAINERS_ONLY = [UNAUTHENTICATED, HIDDEN, denied('write'), rejected('maintain'), OK, OK];
const PUBLIC_IMPORTS = shows('README.md', 'open');
const ALL_IMPORTS = shows('README.md', 'open', 'secret');
const PUBLIC_PROJECTS = shows('README.md', 'app', 'lib');
const ALL_PROJECTS = shows('README.md', 'app', 'lib', 'vault');

// Cells in the order anonymous, other, reader, writer, maintainer, admin.
// prettier-ignore
const MATRIX: readonly Row[] = [
  row(`clone ${secret}`, clone(secret), READERS_ONLY),
  row(`fetch ${secret}`, fetchMain(secret), READERS_ONLY),
  row(`push ${secret}`, pushBranch(secret), WRITERS_ONLY),
  row(`push a protected branch of ${secret}`, pushProtected(secret), MAINTAINERS_ONLY),
  row(`force-push ${secret}`, forcePush(secret), MAINTAINERS_ONLY),
  row(`delete a branch of ${secret}`, deleteBranch(secret), MAINTAINERS_ONLY),
  row(`clone ${open}`, clone(open), EVERYONE_CAN),
  row(`push ${open}`, pushBranch(open), [UNAUTHENTICATED, denied('write'), denied('write'), OK, OK, OK]),
  row(`open a merge request on ${app}`, openMergeRequest, [UNAUTHENTICATED, denied('write'), denied('write'), OK, OK, OK]),
  row(`merge someone else's merge request on ${app}`, mergeMergeRequest('others'), [UNAUTHENTICATED, denied('maintain'), denied('maintain'), denied('maintain'), OK, OK], { serial: true }),
  row(`merge one's own merge request on ${app}`, mergeMergeRequest('own'), [null, null, null, denied('maintain'), SELF_MERGE_DENIED, SELF_MERGE_DENIED], { serial: true }),
  row(`merge one's own merge request on ${lib} (self-merge allowed)`, mergeMergeRequest('ownWhereAllowed'), [null, null, null, denied('maintain'), OK, OK], { serial: true }),
  row(`LFS upload to ${secret}`, lfsUpload(secret), WRITERS_ONLY),
  row(`LFS download from ${secret}`, lfsDownload(secret), READERS_ONLY),
  row(`LFS lock in ${secret}`, lfsLock(secret), WRITERS_ONLY),
  row(`REST tree of ${secret}`, restRead('tree', secret), READERS_ONLY),
  row(`REST refs of ${secret}`, restRead('refs', secret), READERS_ONLY),
  row('REST list of /import', restList('/import'), [PUBLIC_IMPORTS, PUBLIC_IMPORTS, ALL_IMPORTS, ALL_IMPORTS, ALL_IMPORTS, ALL_IMPORTS]),
  row(`UI page of ${secret}`, uiPage(secret), READERS_ONLY),
  row('directory clone of /projects', directoryClone('/projects'), [PUBLIC_PROJECTS, PUBLIC_PROJECTS, ALL_PROJECTS, ALL_PROJECTS, ALL_PROJECTS, ALL_PROJECTS]),
];

/** Both databases' servers run side by side: each cell runs once per database. */
const DIALECTS: readonly DialectName[] = [
  'sqlite',
  ...((await serviceAvailable('postgres')) ? (['postgres'] as const) : []),
];

describe('permission matrix', () => {
  const worlds = new Map<DialectName, AccessWorld>();
  beforeAll(async () => {
    const started = await Promise.allSettled(DIALECTS.map((dialect) => startAccessWorld(dialect)));
    for (const result of started)
      if (result.status === 'fulfilled') worlds.set(result.value.dialect, result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  });
  afterAll(async () => {
    await Promise.all([...worlds.values()].map((world) => world.stop()));
  });

  for (const { action, run, cells, serial } of MATRIX) {
    describe(action, () => {
      for (const caller of CALLERS) {
        const expected = cells[caller];
        if (expected === null) continue;
        for (const dialect of DIALECTS) {
          (serial ? it : it.concurrent)(`as ${caller} [${dialect}]`, async () => {
            const world = worlds.get(dialect);
            if (!world) throw new Error(`the ${dialect} world did not start`);
            expect(await run(world, caller)).toEqual(expected);
          });
        }
      }
    });
  }
});
