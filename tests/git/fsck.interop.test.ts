import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRICT_FSCK } from '../../src/git/fsck.js';
import { SHA1 } from '../../src/git/object-format.js';
import { PackFsck, type FsckRefusal } from '../../src/git/pack-fsck.js';
import { git } from '../support/git-cli.js';
import { HOSTILE_CASES, rawPack, type HostileCase } from '../support/hostile-objects.js';
import { makeTempDir } from '../support/temp-dir.js';

/** Our verdict on a complete pack: the same steps ingest takes, with the objects at hand. */
function ourVerdict(testCase: HostileCase): FsckRefusal | undefined {
  const checker = new PackFsck(SHA1, STRICT_FSCK);
  for (const object of testCase.objects) checker.add(object.id, object.type, object.data);
  const { externalLinks, pendingDotfiles } = checker.finishPack();
  // Every case is a complete pack: only an id git refuses anyway (the null id) points outside.
  if (!checker.refused) expect([...externalLinks.keys()]).toEqual([]);
  for (const pending of pendingDotfiles) {
    const object = testCase.objects.find((o) => o.id === pending.id);
    if (object) checker.checkDotfile(object.id, object.data);
  }
  return checker.refused;
}

const LINK_ERROR = /is a (blob|tree|commit|tag), not a|both as a tree and as a blob/;

interface GitVerdict {
  readonly accepted: boolean;
  /** `object <id>: <msgId>:` pairs from git's `error:`/`warning:` lines. */
  readonly reports: ReadonlyArray<{ object: string; id: string }>;
  readonly stderr: string;
}

async function gitVerdict(root: string, testCase: HostileCase): Promise<GitVerdict> {
  const repo = `${root}/${testCase.name}.git`;
  await git(['init', '-q', '--bare', repo]);
  const pack = await rawPack(testCase.objects);
  const result = await git(['index-pack', '--strict', '--stdin'], { cwd: repo, input: pack, check: false });
  const reports = [...result.stderr.matchAll(/(?:error|warning): object ([0-9a-f]{40}): (\w+):/g)].map(
    (m) => ({
      object: m[1] as string,
      id: m[2] as string,
    }),
  );
  return { accepted: result.code === 0, reports, stderr: result.stderr };
}

describe('received objects are checked like git index-pack --strict', () => {
  let root: { path: string; remove: () => Promise<void> };
  const verdicts = new Map<string, GitVerdict>();

  beforeAll(async () => {
    root = await makeTempDir('mega-fsck-oracle-');
    for (const testCase of HOSTILE_CASES) verdicts.set(testCase.name, await gitVerdict(root.path, testCase));
  });
  afterAll(async () => {
    await root.remove();
  });

  it('has at least 30 hostile cases, each a different object', () => {
    const refused = HOSTILE_CASES.filter((c) => c.git === 'refuses');
    expect(refused.length).toBeGreaterThanOrEqual(30);
    expect(new Set(HOSTILE_CASES.map((c) => c.culprit)).size).toBe(HOSTILE_CASES.length);
  });

  it.each(HOSTILE_CASES.map((c) => [c.name, c] as const))(
    '%s: same verdict and message id as git',
    (_name, testCase) => {
      const theirs = verdicts.get(testCase.name)!;
      const ours = ourVerdict(testCase);
      // The catalogue says what git does; git itself is the judge.
      expect({ accepted: theirs.accepted, stderr: theirs.stderr }).toMatchObject({
        accepted: testCase.git === 'accepts',
      });
      expect(ours === undefined).toBe(theirs.accepted);
      if (!ours) return;
      const errorIds = theirs.reports.filter((r) => r.object === ours.object).map((r) => r.id);
      expect(ours.object).toBe(testCase.culprit);
      if (theirs.reports.length > 0) {
        expect(ours.object).toBe(theirs.reports[0]!.object);
        expect([...ours.ids].sort()).toEqual([...new Set(errorIds)].sort());
      } else if (
        /expected type|did not receive|Not all child objects|invalid (blob|tree)/.test(theirs.stderr)
      ) {
        // Broken links: git names no message id, and neither do we.
        expect(ours.ids).toEqual([]);
        expect(ours.lines.join('\n')).toMatch(LINK_ERROR);
      } else {
        // git's object parser refused it before fsck could name a message id ("invalid commit").
        expect(theirs.stderr).toMatch(/invalid (commit|tag)/);
        expect(ours.ids.length > 0 || LINK_ERROR.test(ours.lines.join('\n'))).toBe(true);
      }
    },
  );
});
