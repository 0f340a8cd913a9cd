import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, revParse } from '../../tests/support/git-fixtures.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import type { ObjectId } from '../git/object-id.js';
import { notFound } from '../platform/errors.js';
import { loadGitRepository } from '../repo/browse/testing/git-object-source.js';
import type { ObjectSource } from '../repo/served-repository.js';
import type { MergeRequestRecord } from '../storage/monorepo/merge-request-store.js';
import { CodeOwnerLookup } from './code-owner-lookup.js';
import { MAX_CODEOWNERS_BYTES } from './code-owners.js';
import type { ReviewDeps } from './review-deps.js';

/**
 * Which CODEOWNERS owns each changed file: the repository's own file first (read at the target
 * head, never the proposal), then the directory repository's files level by level upward.
 */
describe('code owner lookup', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let deps: ReviewDeps;
  const changes: Array<{ repoPath: string; baseCommit: ObjectId; headCommit: ObjectId }> = [];

  beforeAll(async () => {
    temp = await makeTempDir('mega-codeowners-');
    const dir = join(temp.path, 'dir');
    const app = join(temp.path, 'app');
    const big = join(temp.path, 'big');
    await makeRepo(dir, [{ CODEOWNERS: '* @root\n', 'projects/CODEOWNERS': 'team/app/src/ @dirowner\n' }]);
    await makeRepo(app, [
      {
        'src/x.c': '1\n',
        'docs/r.md': '1\n',
        'lib/y.c': '1\n',
        '.gitlab/CODEOWNERS': 'lib/ DEV@example.com\n[Docs]\ndocs/ @writers\n',
      },
      {
        'src/x.c': '2\n',
        'docs/r.md': '2\n',
        'lib/y.c': '2\n',
        'other.txt': 'new\n',
        // The proposal's own file is not read: the target's is.
        '.gitlab/CODEOWNERS': '* @alice\n',
      },
    ]);
    await makeRepo(big, [
      { CODEOWNERS: `* @nobody\n${'#'.repeat(MAX_CODEOWNERS_BYTES)}\n`, 'a.txt': '1\n' },
      { 'a.txt': '2\n' },
    ]);
    const loaded = await Promise.all([dir, app, big].map((path) => loadGitRepository(path)));
    const sources = loaded.map((repo) => repo.objects);
    const first = async <T>(read: (source: ObjectSource) => Promise<T | undefined>) => {
      for (const source of sources) {
        const found = await read(source);
        if (found !== undefined) return found;
      }
      return undefined;
    };
    const source = {
      readObject: (id: ObjectId) => first((s) => s.readObject(id)),
      openObject: (id: ObjectId) => first((s) => s.openObject(id)),
    };
    const heads = new Map<string, ObjectId>([
      ['/', (await revParse(dir, 'HEAD')) as ObjectId],
      ['/projects/team/app', (await revParse(app, 'HEAD~1')) as ObjectId],
      ['/projects/big', (await revParse(big, 'HEAD~1')) as ObjectId],
    ]);
    const ids = [...heads.keys()];
    for (const [repoPath, repoDir] of [
      ['/projects/team/app', app],
      ['/projects/big', big],
    ] as const) {
      changes.push({
        repoPath,
        baseCommit: (await revParse(repoDir, 'HEAD~1')) as ObjectId,
        headCommit: (await revParse(repoDir, 'HEAD')) as ObjectId,
      });
    }
    const users = [
      { id: 1, username: 'dirowner', email: null },
      { id: 2, username: 'erin', email: 'dev@example.com' },
      { id: 3, username: 'wendy', email: null },
    ];
    deps = {
      monorepo: {
        objects: { source },
        repositories: {
          find: async (path: string) =>
            heads.has(path) ? { id: ids.indexOf(path), headRef: 'refs/heads/main' } : undefined,
        },
        refs: {
          get: async (id: number, ref: string) =>
            ref === 'refs/heads/main' ? heads.get(ids[id]!) : undefined,
        },
      },
      storage: {
        users: {
          findUser: async (name: string) => users.find((user) => user.username === name),
          listUsers: async () => users,
        },
        access: {
          group: async (name: string) => {
            if (name === 'writers') return { id: 1, name, members: ['wendy'] };
            throw notFound('group_not_found', 'group not found');
          },
        },
      },
    } as unknown as ReviewDeps;
  });
  afterAll(async () => {
    await temp?.remove();
  });

  const record = (): MergeRequestRecord =>
    ({ number: 1, targetBranch: undefined, changes }) as unknown as MergeRequestRecord;

  it('takes the repository file first, then directory levels upward, each section separately', async () => {
    const outcome = await new CodeOwnerLookup(deps).requirementsOf(record());
    const summary = outcome.requirements.map((rule) => ({
      source: rule.source,
      section: rule.section,
      owners: rule.owners,
      paths: rule.paths,
      eligible: rule.eligible,
    }));
    expect(summary).toEqual(
      expect.arrayContaining([
        {
          source: '/projects/team/app:.gitlab/CODEOWNERS',
          section: '',
          owners: ['dev@example.com'],
          paths: ['/projects/team/app/lib/y.c'],
          eligible: ['erin'],
        },
        {
          source: '/projects/team/app:.gitlab/CODEOWNERS',
          section: 'Docs',
          owners: ['@writers'],
          paths: ['/projects/team/app/docs/r.md'],
          eligible: ['wendy'],
        },
        {
          source: '/:projects/CODEOWNERS',
          section: '',
          owners: ['@dirowner'],
          paths: ['/projects/team/app/src/x.c'],
          eligible: ['dirowner'],
        },
        {
          source: '/:CODEOWNERS',
          section: '',
          owners: ['@root'],
          // .gitlab/CODEOWNERS changed too: owned by the root level like any unmatched file.
          paths: expect.arrayContaining([
            '/projects/team/app/other.txt',
            '/projects/team/app/.gitlab/CODEOWNERS',
            '/projects/big/a.txt',
          ]),
          eligible: [],
        },
      ]),
    );
    expect(summary).toHaveLength(4);
    expect(outcome.warnings.join('\n')).toMatch(
      /\/projects\/big:CODEOWNERS: file is over 65536 bytes: ignored/,
    );
    expect(outcome.warnings.join('\n')).toMatch(/@root names no user or group/);
  });
});
