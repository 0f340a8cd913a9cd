// The ingest's decode thread alone, on this thread, for A/B comparisons of its CPU: reads a pack
// as `ingest-decode-worker.ts` does (its options, batches with fsck's tree scans, two written
// batches' buffers handed back as spares), drops the batches, and prints each run's CPU of this
// thread (`/proc/thread-self/schedstat`) and of the process. The first run prints a SHA-1 over
// every batch's fields, ids, payload and tree scans, in order: equal digests across builds mean
// byte-identical batches.
//
// Run it under the server's flags, against any build's `dist` (the `--root`, default this
// worktree), e.g.:
//   node --max-semi-space-size=8 --heap-growing-percent=100 --expose-gc \
//     --import tsx bench/scale/decode-harness.ts --root /tmp/base --pack /tmp/bp/bench.pack --runs 14
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

const { values: args } = parseArgs({
  options: {
    root: { type: 'string', default: path.resolve(import.meta.dirname, '../..') },
    pack: { type: 'string', default: '/tmp/bp/bench.pack' },
    runs: { type: 'string', default: '14' },
  },
});

const root = path.resolve(args.root!);
const load = (module: string) => import(pathToFileURL(path.join(root, 'dist', module)).href);
const { readPack } = await load('git/pack-reader.js');
const { SHA1 } = await load('git/object-format.js');
const { TreeScanner } = await load('git/scanned-trees.js');
const { DecodedBatchBuilder, BATCH_BYTES } = await load('storage/decoded-batch.js');
const { DECODE_THREAD_CACHES } = await load('storage/ingest-on-decode-thread.js');

const pack = readFileSync(args.pack!);
const CHUNK = 1024 * 1024;

async function* chunks(): AsyncGenerator<Buffer> {
  for (let at = 0; at < pack.length; at += CHUNK) yield pack.subarray(at, Math.min(pack.length, at + CHUNK));
}

function threadCpuNs(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
}

interface Batch {
  count: number;
  fields: Float64Array;
  ids: Uint8Array;
  bytes: Uint8Array;
  trees?: { values: Int32Array; dotfiles: number[]; findings: unknown[] };
}

async function decodeOnce(digest: ReturnType<typeof createHash> | undefined): Promise<number> {
  const spares: ArrayBuffer[] = [];
  const trees = new TreeScanner(SHA1, { strict: true, ignore: new Set() });
  let batches = 0;
  const builder = new DecodedBatchBuilder(
    SHA1,
    (batch: Batch) => {
      batches++;
      if (digest) {
        digest.update(new Uint8Array(batch.fields.buffer, batch.fields.byteOffset, batch.fields.byteLength));
        digest.update(batch.ids);
        digest.update(batch.bytes);
        if (batch.trees) {
          const { values, dotfiles, findings } = batch.trees;
          digest.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
          digest.update(JSON.stringify([dotfiles, findings]));
        }
      }
      // The request's thread hands back written batches' buffers: keep two waiting.
      const bytes = batch.bytes.buffer as ArrayBuffer;
      if (bytes.byteLength === BATCH_BYTES && spares.length < 2) spares.push(bytes);
    },
    trees,
    pack.readUInt32BE(8),
    () => spares.shift(),
  );
  await readPack(chunks(), {
    format: SHA1,
    threads: 1,
    ...DECODE_THREAD_CACHES,
    skipCrc32: true,
    largeBlobThreshold: 1024 * 1024,
    onLargeBlob: (object: { offset: number; headerLength: number }) =>
      builder.addLargeBlob(object, object.offset + object.headerLength),
    onRawObject: (object: unknown, content: unknown) => builder.addRawObject(object, content),
  });
  builder.flush();
  return batches;
}

const runs = Number(args.runs);
const threadMs: number[] = [];
const processMs: number[] = [];
for (let run = 0; run < runs; run++) {
  const digest = run === 0 ? createHash('sha1') : undefined;
  const thread = threadCpuNs();
  const cpu = process.cpuUsage();
  const batches = await decodeOnce(digest);
  const used = process.cpuUsage(cpu);
  threadMs.push((threadCpuNs() - thread) / 1e6);
  processMs.push((used.user + used.system) / 1e3);
  if (digest) console.log(`digest ${digest.digest('hex')} (${batches} batches)`);
}

// The first two runs warm the JIT; least and median of the rest.
const summary = (values: number[]) => {
  const warm = values.slice(2).sort((a, b) => a - b);
  return `${warm[0]!.toFixed(1)} / ${warm[Math.floor(warm.length / 2)]!.toFixed(1)}`;
};
console.log(`thread ms least / median: ${summary(threadMs)}; process ms: ${summary(processMs)}`);
console.log(`runs: ${threadMs.map((ms) => ms.toFixed(0)).join(' ')}`);
console.log(`process: ${processMs.map((ms) => ms.toFixed(0)).join(' ')}`);
