/**
 * Harness (not part of `npm run bench`): the first push's ref tip bitmaps (`tip-reachability.ts`)
 * of a repository read into a graph in process, no database: how many refs get one, the build's
 * wall and CPU time and the heap it adds; `check` compares the bitmaps of some refs with `git
 * rev-list --objects`.
 *
 *   npx tsx bench/scale/tip-bitmaps-harness.ts <bare repository with one pack> [rounds] [check ref…]
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gitText } from '../../tests/support/git-cli.js';
import { ROOMY_PACK_LIMITS } from '../../tests/support/branchy-first-push.js';
import { SHA1 } from '../../src/git/object-format.js';
import { ObjectGraph } from '../../src/git/object-graph.js';
import type { ObjectId } from '../../src/git/object-id.js';
import { readPack } from '../../src/git/pack-reader.js';
import { graphBasesFirst, walkGraph } from '../../src/repo/graph-walk.js';
import { tipBitmapsFromGraph } from '../../src/repo/tip-reachability.js';
import { loadAverage } from '../report.js';

const [repo, roundsArg = '1', ...checked] = process.argv.slice(2);
if (!repo) throw new Error('usage: tip-bitmaps-harness.ts <bare repository> [rounds] [check ref…]');

const mb = (bytes: number) => Math.round(bytes / 1e6);

// The repository's packs and its alternates' (a `clone --shared` with branches of its own).
const objectDirs = [join(repo, 'objects')];
const alternates = await readFile(join(repo, 'objects', 'info', 'alternates'), 'utf8').catch(() => '');
for (const line of alternates.split('\n')) if (line) objectDirs.push(line);
const graph = new ObjectGraph(SHA1, 1 << 30);
for (const objectDir of objectDirs) {
  const packDir = join(objectDir, 'pack');
  for (const packFile of (await readdir(packDir)).filter((name) => name.endsWith('.pack'))) {
    await readPack(createReadStream(join(packDir, packFile)), {
      limits: ROOMY_PACK_LIMITS,
      onObject: (object, content) => graph.add(object.id, object.type, content.data, object.deltaBase),
    });
  }
}
const tips = (await gitText(['-C', repo, 'for-each-ref', '--format=%(refname) %(objectname)']))
  .split('\n')
  .filter(Boolean)
  .map((line) => {
    const [name, target] = line.split(' ') as [string, ObjectId];
    return { name, target };
  });
const walked = walkGraph(
  graph,
  tips.map((tip) => tip.target),
);
if (!walked) throw new Error('the graph does not hold the walk of every ref');
console.log(`${graph.size} objects in the graph, ${walked.order.length} walked, ${tips.length} refs`);

for (let round = 0; round < Number(roundsArg); round++) {
  global.gc?.();
  const heapBefore = process.memoryUsage();
  let peakExternal = 0;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peakExternal = Math.max(peakExternal, now.arrayBuffers - heapBefore.arrayBuffers);
    peakHeap = Math.max(peakHeap, now.heapUsed - heapBefore.heapUsed);
  }, 5);
  const loadBefore = await loadAverage();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const bitmaps = await tipBitmapsFromGraph(graph, walked, tips);
  const wall = Math.round(performance.now() - start);
  const used = process.cpuUsage(cpu);
  clearInterval(sampler);
  const missing = tips.filter((tip) => !bitmaps.has(tip.target)).map((tip) => tip.name);
  console.log(
    `round ${round + 1} (load ${loadBefore}): ${tips.length - missing.length} of ${tips.length} refs with a bitmap, ` +
      `${wall} ms wall, ${Math.round((used.user + used.system) / 1000)} ms CPU, ` +
      `array buffers +${mb(peakExternal)} MB at peak, heap +${mb(peakHeap)} MB, ` +
      `rss ${mb(process.memoryUsage().rss)} MB; without: ${missing.slice(0, 8).join(' ')}`,
  );
  if (round > 0) continue;
  const ordered = graphBasesFirst(graph, walked.order, walked.picked);
  for (const name of checked) {
    const tip = tips.find((one) => one.name === name || one.name.endsWith(`/${name}`));
    if (!tip) throw new Error(`no ref ${name}`);
    const bits = bitmaps.get(tip.target);
    const selected = new Set<string>();
    if (bits) {
      for (let i = 0; i < ordered.length; i++) {
        if (((bits[i >> 3] as number) >> (i & 7)) & 1) selected.add(graph.idAt(ordered[i] as number));
      }
    }
    const expected = (await gitText(['-C', repo, 'rev-list', '--objects', tip.target]))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(0, 40));
    const same = expected.length === selected.size && expected.every((id) => selected.has(id));
    console.log(
      `${tip.name}: ${bits ? (same ? 'exactly rev-list --objects' : 'DIFFERS from rev-list') : 'no bitmap'} (${expected.length} objects)`,
    );
  }
}
