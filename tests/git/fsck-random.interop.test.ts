import { afterAll, beforeAll, expect, it } from 'vitest';
import { STRICT_FSCK } from '../../src/git/fsck.js';
import { SHA1 } from '../../src/git/object-format.js';
import { PackFsck } from '../../src/git/pack-fsck.js';
import { git } from '../support/git-cli.js';
import {
  rawCommit,
  rawObject,
  rawPack,
  rawTree,
  type Entry,
  type RawObject,
} from '../support/hostile-objects.js';
import { makeTempDir } from '../support/temp-dir.js';

/**
 * Trees, identities and .gitmodules files drawn at random (fixed seed) from tricky names, modes and targets, each judged by
 * `git index-pack --strict` and by us: the same verdict every time, and the same error ids for
 * the object git names. Complements the hand-built cases of fsck.interop.test.ts.
 */
const NAMES = [
  'a',
  'a.b',
  'a-',
  'a0',
  'b',
  'ab',
  'a b',
  'git',
  '\u00e9',
  '.',
  '..',
  'a/b',
  '.git',
  'GIT~1',
  '.git.',
  'x\\.git',
  '\u200c.git',
  '.gitmodules',
  'gi7eba~1',
  'gitmod~2',
  '.gitignore',
  '.mailmap',
  '.gitattributes',
];
const MODES = [
  '100644',
  '100755',
  '40000',
  '120000',
  '160000',
  '100664',
  '040000',
  '644',
  '100000',
  '140000',
  '1',
  '0',
];
const ROUNDS = 200;

let temp: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  temp = await makeTempDir('mega-fsck-random-');
});
afterAll(async () => {
  await temp.remove();
});

it(`agrees with git index-pack --strict on ${ROUNDS} random trees`, async () => {
  let seed = 20261203;
  const pick = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const blob = rawObject('blob', 'x\n');
  const empty = rawTree([]);
  const modules = rawObject('blob', '[submodule "m"]\n\turl = -x\n');
  const disagreements: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const entries: Entry[] = [];
    for (let i = 1 + pick(4); i > 0; i--) {
      const mode = MODES[pick(MODES.length)]!;
      const directory = mode.endsWith('40000');
      const target = pick(5) === 0 ? modules : (directory ? pick(6) !== 0 : pick(6) === 0) ? empty : blob;
      entries.push([mode, NAMES[pick(NAMES.length)]!, target.id]);
    }
    if (pick(2) === 0) entries.sort((x, y) => (String(x[1]) < String(y[1]) ? -1 : 1));
    const tree = rawTree(entries);
    const objects: RawObject[] = [blob, empty, modules, tree, rawCommit(tree.id)];
    const checker = new PackFsck(SHA1, STRICT_FSCK);
    for (const object of objects) checker.add(object.id, object.type, object.data);
    const { pendingDotfiles } = checker.finishPack();
    for (const pending of pendingDotfiles) {
      const object = objects.find((o) => o.id === pending.id);
      if (object) checker.checkDotfile(object.id, object.data);
    }
    const repo = `${temp.path}/r${round}.git`;
    await git(['init', '-q', '--bare', repo]);
    const pack = await rawPack(objects);
    const result = await git(['index-pack', '--strict', '--stdin'], { cwd: repo, input: pack, check: false });
    const refused = checker.refused;
    // What git printed about the object we refused: errors (which refuse) and warnings.
    const gitReports = [...result.stderr.matchAll(/(error|warning): object ([0-9a-f]{40}): (\w+):/g)].filter(
      (m) => m[2] === refused?.object,
    );
    const gitErrors = new Set(gitReports.filter((m) => m[1] === 'error').map((m) => m[3] as string));
    const gitAll = new Set(gitReports.map((m) => m[3] as string));
    const ours = new Set(refused?.ids ?? []);
    const sameVerdict = (result.code === 0) === (refused === undefined);
    const sameIds =
      gitReports.length === 0 ||
      ([...gitErrors].every((id) => ours.has(id)) && [...ours].every((id) => gitAll.has(id)));
    if (!sameVerdict || !sameIds) {
      disagreements.push(
        `${JSON.stringify(entries)}\n  git: ${result.stderr.trim()}\n  ours: ${refused?.lines.join(' | ')}`,
      );
    }
  }
  expect(disagreements).toEqual([]);
}, 120_000);

const IDENT_PARTS = {
  names: ['A', '', 'A B', 'A>', 'A<', ' '],
  gaps: [' ', '', '  '],
  emails: ['<a@b>', '<>', '<a<b>', 'a@b>', '<a@b', '<a\tb>'],
  dates: [
    '1',
    '0',
    '01',
    ' 12',
    '\t12',
    '-1',
    '+5',
    '-0',
    '99999999999999999999',
    '9223372036854775807',
    '9223372036854775808',
    'x',
    '',
    '1x',
  ],
  zones: ['+0000', '-0130', '0000', '+00', '+00000', '+0000 ', '+abcd', ''],
};

it(`agrees with git index-pack --strict on ${ROUNDS} random author lines`, async () => {
  let seed = 5;
  const pick = <T>(list: readonly T[]): T => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return list[(seed >>> 8) % list.length] as T;
  };
  const empty = rawTree([]);
  const disagreements: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { names, gaps, emails, dates, zones } = IDENT_PARTS;
    const ident = `${pick(names)}${pick(gaps)}${pick(emails)}${pick(gaps)}${pick(dates)}${pick(gaps)}${pick(zones)}`;
    const commit = rawObject('commit', `tree ${empty.id}\nauthor ${ident}\ncommitter A <a@b> 1 +0000\n\nm\n`);
    const checker = new PackFsck(SHA1, STRICT_FSCK);
    for (const object of [empty, commit]) checker.add(object.id, object.type, object.data);
    checker.finishPack();
    const repo = `${temp.path}/c${round}.git`;
    await git(['init', '-q', '--bare', repo]);
    const pack = await rawPack([empty, commit]);
    const result = await git(['index-pack', '--strict', '--stdin'], { cwd: repo, input: pack, check: false });
    const gitIds = [...result.stderr.matchAll(/error: object [0-9a-f]{40}: (\w+):/g)]
      .map((m) => m[1])
      .join(',');
    const ourIds = checker.refused?.ids.join(',') ?? '';
    if ((result.code === 0) !== (checker.refused === undefined) || (gitIds !== '' && gitIds !== ourIds)) {
      disagreements.push(`${JSON.stringify(ident)}: git ${gitIds || result.code}, ours ${ourIds}`);
    }
  }
  expect(disagreements).toEqual([]);
}, 120_000);

const GITMODULES_PARTS = {
  headers: [
    '[submodule "x"]',
    '[submodule "a/../b"]',
    '[Submodule "x"]',
    '[submodule.x]',
    '[submodule "x.y"]',
    '[submodule]',
    '[submodule "-x"]',
    '[submodule "\\..\\"]',
    '[core]',
    '[submodule "x" ]',
    '[submodule  "x"]',
    '[ submodule "x"]',
    '[submodule "x\\"y"]',
    '[submodule "..\\\\x"]',
  ],
  keys: ['url', 'URL', 'path', 'update', 'url ', '\turl', 'u-rl', '1url', 'branch'],
  values: [
    '= -x',
    '=-x',
    '= "-x"',
    '= " -x"',
    '= \\-x',
    '= x\\\n-y',
    '= ./%0a',
    '= ../../:x',
    '= https:///x',
    '= https://h/x',
    '= !cmd',
    '= ""-x',
    '= -x ; c',
    '= # -x',
    '',
    '= "unterminated',
    '= \\q',
    '= a\\\\b',
    '= http::https://%0ah/',
  ],
};

it(`agrees with git index-pack --strict on ${ROUNDS} random .gitmodules files`, async () => {
  let seed = 9;
  const pick = <T>(list: readonly T[]): T => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return list[(seed >>> 8) % list.length] as T;
  };
  const disagreements: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { headers, keys, values } = GITMODULES_PARTS;
    let text = '';
    for (let i = 0; i <= round % 3; i++) text += `${pick(headers)}\n\t${pick(keys)} ${pick(values)}\n`;
    const modules = rawObject('blob', text);
    const tree = rawTree([['100644', '.gitmodules', modules.id]]);
    const objects: RawObject[] = [modules, tree, rawCommit(tree.id)];
    const checker = new PackFsck(SHA1, STRICT_FSCK);
    for (const object of objects) checker.add(object.id, object.type, object.data);
    // The blob came before the tree that names it: its content is checked afterwards, as ingest does.
    for (const pending of checker.finishPack().pendingDotfiles)
      checker.checkDotfile(pending.id, modules.data);
    const repo = `${temp.path}/m${round}.git`;
    await git(['init', '-q', '--bare', repo]);
    const pack = await rawPack(objects);
    const result = await git(['index-pack', '--strict', '--stdin'], { cwd: repo, input: pack, check: false });
    const reports = [...result.stderr.matchAll(/(?:error|warning): object [0-9a-f]{40}: (\w+):/g)];
    const gitIds = [...new Set(reports.map((m) => m[1]))].sort().join(',');
    const ourIds = [...(checker.refused?.ids ?? [])].sort().join(',');
    const refusedByGit = result.code !== 0;
    if (refusedByGit !== (checker.refused !== undefined) || (refusedByGit && gitIds !== ourIds)) {
      disagreements.push(`${JSON.stringify(text)}: git ${gitIds || result.code}, ours ${ourIds}`);
    }
  }
  expect(disagreements).toEqual([]);
}, 120_000);
