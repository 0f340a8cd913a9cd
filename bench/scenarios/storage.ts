import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { platform } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/platform/config.js';
import type { MegaDatabase } from '../../src/storage/open-database.js';
import { createStorage } from '../../src/storage/storage.js';
import {
  createScratchDatabase,
  DIALECT_NAMES,
  type DialectName,
  type ScratchDatabase,
} from '../../tests/support/scratch-database.js';
import { serviceAvailable } from '../../tests/support/services.js';
import type { BenchScenario } from '../main.js';
import { runCommand as run } from '../run-command.js';
import { timeMs, type BenchResult } from '../report.js';

/**
 * `npm run bench -- storage [--pack FILE] [--commits N] [--runs N] [--dialects sqlite,postgres,mysql] [--holding]`
 *
 * Ingests one pack into each database (decode, resolve deltas, store pack-ready rows in one
 * transaction) and reads every object back, each timed against C git on the same pack in the same
 * run: ingest vs `git index-pack --threads=1` (our ingest is single-threaded too; `cpu_ratio` also
 * compares CPU time, which a busy machine disturbs less: our process's, plus for PostgreSQL and
 * MariaDB/MySQL that of the database server's processes when they run on this machine; `cpu_ms` is
 * that CPU itself, to compare builds or flags by without git's own CPU in the ratio), read-back vs
 * `git cat-file --batch-all-objects --batch` over the indexed pack. Also reports how much the
 * database (plus object files) grew, next to the pack size. `no_fsck_ms` is the same ingest
 * without the receive.fsckObjects checks (interleaved runs), `fsck_cost` what the checks add.
 * `strict_ratio` and `strict_cpu_ratio` compare the ingest with `git index-pack --strict
 * --threads=1`, which checks objects as our ingest does (the targets stay on `ratio`). Without
 * --pack, a repository is generated with git fast-import. `--holding` first stores another
 * repository (a generated pack of other objects) in every database, untimed, so the ingest meets
 * tables in use: larger B-trees, and files InnoDB no longer grows in the small steps of a new
 * table, each synced on the inserting connection's thread (docs/scale.md, "Where the database
 * servers' ingest CPU goes"). On SQLite each database's checkpoint thread is started before its
 * timed ingest, as a running server has it, and the checkpoint the ingest's commit starts is waited
 * for after it: its CPU counts in `cpu_ms`, its time not in `ms` (a push is answered before it).
 */
const DEFAULT_COMMITS = 3000;
/** Each timing is the fastest of this many runs (`--runs N`). */
const DEFAULT_RUNS = 3;
const FILES = 400;
const READ_BATCH = 1000;

/** CPU seconds (user + system) of a git command, from bash's `times` for its children. */
async function gitCpuMs(args: readonly string[]): Promise<number> {
  const quoted = args.map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  const out = (await run('bash', ['-c', `git ${quoted} >/dev/null; times`])).toString();
  const children = out.trim().split('\n')[1] ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return seconds.reduce((sum, value) => sum + value, 0) * 1000;
}

/** Process names of each server database, for its CPU time when it runs on this machine. */
const SERVER_PROCESSES: Readonly<Record<DialectName, readonly string[]>> = {
  sqlite: [],
  postgres: ['postgres'],
  mysql: ['mariadbd', 'mysqld'],
};
/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

/**
 * CPU ms (user + system) used so far by each of the dialect's server processes on this machine,
 * by process id (Linux /proc), or undefined when none runs here (another machine, or not Linux).
 */
async function serverCpuMs(dialect: DialectName): Promise<Map<string, number> | undefined> {
  const names = SERVER_PROCESSES[dialect];
  if (names.length === 0 || platform() !== 'linux') return undefined;
  const byPid = new Map<string, number>();
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (!names.includes(name)) continue;
    // Fields after the name: state is the 1st, utime the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    byPid.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS);
  }
  return byPid.size > 0 ? byPid : undefined;
}

/**
 * Server CPU between two snapshots: what each process running at the end used since the first
 * (all of it for one started in between, such as our pool's connection). Processes that ended
 * meanwhile are left out; other clients of the same server count too, so take the least of runs.
 */
function serverCpuBetween(before: Map<string, number>, after: Map<string, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/**
 * A fast-import stream: `commits` commits, each rewriting a few lines of two of `FILES` files.
 * A `salt` puts it at the start of every line, so no object is one of the unsalted stream's.
 */
function fastImportStream(commits: number, salt = ''): string {
  const parts: string[] = [];
  const files: string[][] = Array.from({ length: FILES }, (_, f) =>
    Array.from(
      { length: 60 },
      (_, line) => `${salt}file ${f} line ${line}: ${'lorem ipsum dolor sit amet '.repeat(2)}`,
    ),
  );
  for (let c = 0; c < commits; c++) {
    parts.push(`commit refs/heads/main\ncommitter Bench <bench@example.com> ${1700000000 + c} +0000\n`);
    const message = `change ${c}\n`;
    parts.push(`data ${Buffer.byteLength(message)}\n${message}`);
    for (const f of [c % FILES, (c * 7 + 3) % FILES, (c * 13 + 5) % FILES]) {
      const lines = files[f]!;
      lines[c % lines.length] = `${salt}file ${f} line ${c % lines.length}: edited in commit ${c}`;
      const body = `${lines.join('\n')}\n`;
      parts.push(
        `M 100644 inline dir${f % 20}/sub${f % 7}/file${f}.txt\ndata ${Buffer.byteLength(body)}\n${body}`,
      );
    }
    parts.push('\n');
  }
  return parts.join('');
}

async function generatePack(work: string, commits: number, salt = ''): Promise<string> {
  const name = salt ? 'salted' : 'generated';
  const repo = join(work, `${name}.git`);
  await run('git', ['init', '-q', '--bare', repo]);
  await run('git', ['fast-import', '--quiet'], { cwd: repo, input: fastImportStream(commits, salt) });
  const pack = await run('git', ['pack-objects', '--all', '--stdout', '-q'], { cwd: repo, input: '' });
  const path = join(work, salt ? `${name}.pack` : 'bench.pack');
  await writeFile(path, pack);
  return path;
}

function option(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

async function directorySize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** Size of the database on disk, as the dialect measures it. */
async function databaseBytes(database: MegaDatabase): Promise<number> {
  const result = await database.capabilities.databaseSizeQuery.execute(database.db);
  return Number(result.rows[0]?.bytes ?? 0);
}

/** The fastest of `runs` timings: on a shared machine the minimum is the least disturbed one. */
async function fastest<T>(runs: number, step: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let best: { ms: number; value: T } | undefined;
  for (let run = 0; run < runs; run++) {
    const timed = await timeMs(step);
    if (!best || timed.ms < best.ms) best = timed;
  }
  return best!;
}

interface Reference {
  readonly indexPackMs: number;
  /** CPU time of index-pack, against ours plus the database server's (when it runs on this machine). */
  readonly indexPackCpuMs: number;
  /**
   * `index-pack --strict`, what git runs with receive.fsckObjects: the like-for-like reference of
   * our ingest, which checks every object as fsck does (`ratio` stays against the plain run).
   */
  readonly strictMs: number;
  readonly strictCpuMs: number;
  readonly catFileMs: number;
}

/**
 * One ingest into `scratch`, a fresh database (see `measureDialect` for why it is made before).
 * `fsck: false` skips the receive.fsckObjects checks (to show what they cost).
 */
function storageConfig(scratch: ScratchDatabase) {
  return {
    databaseUrl: scratch.url,
    dataDir: scratch.dataDir,
    largeObjectThreshold: 1024 * 1024,
    // The server's setting, so `MEGA_INGEST_DECODE_THREAD_MIN_OBJECTS` compares both ways of decoding.
    ingestDecodeThreadMinObjects: loadConfig({ env: process.env }).ingestDecodeThreadMinObjects,
  };
}

/** Stores another repository's pack in `scratch` (`--holding`), untimed. */
async function storeOtherRepository(scratch: ScratchDatabase, packPath: string): Promise<void> {
  const storage = createStorage(scratch.database, storageConfig(scratch));
  const repo = await storage.repositories.create({ path: '/import/other', kind: 'import' });
  await storage.ingestPack(repo.id, createReadStream(packPath, { highWaterMark: 1 << 20 }), { fsck: false });
  await scratch.database.walCheckpoints?.idle();
}

async function ingestOnce(scratch: ScratchDatabase, packPath: string, fsck = true) {
  const { dialect } = scratch;
  const config = storageConfig(scratch);
  const storage = createStorage(scratch.database, config);
  const repo = await storage.repositories.create({ path: '/import/bench', kind: 'import' });
  const sizeBefore = await databaseBytes(scratch.database);
  // SQLite: the database's checkpoint thread, which a server starts once (at its first big
  // commit), is started before the window; each fresh database otherwise started one in the
  // window after its ingest (from the TypeScript sources here: 210–330 ms of CPU; docs/scale.md,
  // "SQLite's checkpoint thread in the storage bench").
  const checkpoints = scratch.database.walCheckpoints;
  await checkpoints?.ready();
  const serverBefore = await serverCpuMs(dialect);
  const cpuBefore = process.cpuUsage();
  const timed = await timeMs(() =>
    storage.ingestPack(repo.id, createReadStream(packPath, { highWaterMark: 1 << 20 }), { fsck }),
  );
  // The checkpoint the commit started, which a server runs after each big push on that thread: its
  // CPU counts, its time does not (the push is answered once the commit returns).
  await checkpoints?.idle();
  const cpu = process.cpuUsage(cpuBefore);
  const serverAfter = await serverCpuMs(dialect);
  const inProcess = scratch.database.runPreparedBatch !== undefined;
  // Our process's CPU, plus the server's where it runs here; undefined when it cannot be known.
  const serverMs =
    serverBefore !== undefined && serverAfter !== undefined
      ? serverCpuBetween(serverBefore, serverAfter)
      : undefined;
  const cpuMs =
    inProcess || serverMs !== undefined ? (cpu.user + cpu.system) / 1000 + (serverMs ?? 0) : undefined;
  return { scratch, config, repo, sizeBefore, timed, cpuMs };
}

async function measureDialect(
  dialect: DialectName,
  packPath: string,
  packSize: number,
  reference: Reference,
  runs: number,
  holdingPack: string | undefined,
): Promise<BenchResult[]> {
  let best: Awaited<ReturnType<typeof ingestOnce>> | undefined;
  // Runs without fsck interleaved with the real ones, so both see the same machine load.
  let noFsck: { ms: number; cpuMs: number } | undefined;
  // The least CPU of any run with fsck (CPU time is disturbed less than wall time by a busy machine).
  let fsckCpuMs = Infinity;
  // Every database is made before the first ingest and dropped after the last: making and
  // migrating one takes 2-4 s on PostgreSQL and MariaDB, longer than the decode thread stays
  // warm (`IDLE_MS`), so made in between, every ingest there paid a fresh thread (from the
  // TypeScript sources here: ~0.4 s of CPU) where SQLite's reused the warm one.
  const made: ScratchDatabase[] = [];
  let measured = false;
  try {
    for (let count = 0; count < 2 * runs; count++) made.push(await createScratchDatabase(dialect));
    if (holdingPack) for (const scratch of made) await storeOtherRepository(scratch, holdingPack);
    for (let run = 0; run < runs; run++) {
      const plain = await ingestOnce(made[2 * run]!, packPath, false);
      noFsck = {
        ms: Math.min(noFsck?.ms ?? Infinity, plain.timed.ms),
        cpuMs: Math.min(noFsck?.cpuMs ?? Infinity, plain.cpuMs ?? NaN),
      };
      const attempt = await ingestOnce(made[2 * run + 1]!, packPath);
      fsckCpuMs = Math.min(fsckCpuMs, attempt.cpuMs ?? NaN);
      if (!best || attempt.timed.ms < best.timed.ms) best = attempt;
    }
    measured = true;
  } finally {
    // The best run's database is kept for the reads below (and dropped after them).
    for (const scratch of made) if (!measured || scratch !== best?.scratch) await scratch.drop();
  }
  const { scratch, config, repo, sizeBefore, timed: ingest } = best!;
  const cpuKnown = Number.isFinite(fsckCpuMs);
  try {
    const ids = [...ingest.value.ids];
    // A new storage per run, so no run reads from the previous run's base cache.
    const packReady = await fastest(runs, async () => {
      const storage = createStorage(scratch.database, config);
      let bytes = 0;
      for (let start = 0; start < ids.length; start += READ_BATCH) {
        for (const entry of await storage.objects.packReady(repo.id, ids.slice(start, start + READ_BATCH))) {
          if (Buffer.isBuffer(entry.deflated)) bytes += entry.deflated.length;
        }
      }
      return bytes;
    });
    const inflated = await fastest(runs, async () => {
      const storage = createStorage(scratch.database, config);
      let bytes = 0;
      for await (const object of storage.objects.readMany(repo.id, ids, READ_BATCH))
        bytes += object.data.length;
      return bytes;
    });
    const dbBytes = (await databaseBytes(scratch.database)) - sizeBefore;
    const fileBytes = await directorySize(join(scratch.dataDir, 'objects')).catch(() => 0);
    const perSecond = (ms: number) => Math.round(ids.length / (ms / 1000));
    return [
      {
        scenario: `ingest-${dialect}`,
        ratio: ingest.ms / reference.indexPackMs,
        ms: ingest.ms,
        git_ms: reference.indexPackMs,
        objects: ids.length,
        objects_per_s: perSecond(ingest.ms),
        ...(cpuKnown ? { cpu_ratio: fsckCpuMs / reference.indexPackCpuMs, cpu_ms: fsckCpuMs } : {}),
        strict_ratio: ingest.ms / reference.strictMs,
        ...(cpuKnown ? { strict_cpu_ratio: fsckCpuMs / reference.strictCpuMs } : {}),
        no_fsck_ms: noFsck!.ms,
        fsck_cost: ingest.ms / noFsck!.ms - 1,
        ...(cpuKnown ? { fsck_cpu_cost: fsckCpuMs / noFsck!.cpuMs - 1 } : {}),
        deltas: ingest.value.deltas,
        db_mb: dbBytes / 1e6,
        pack_mb: packSize / 1e6,
        size_vs_pack: (dbBytes + fileBytes) / packSize,
      },
      {
        scenario: `read-packready-${dialect}`,
        ratio: packReady.ms / reference.catFileMs,
        ms: packReady.ms,
        git_ms: reference.catFileMs,
        objects: ids.length,
        objects_per_s: perSecond(packReady.ms),
      },
      {
        scenario: `read-inflated-${dialect}`,
        ratio: inflated.ms / reference.catFileMs,
        ms: inflated.ms,
        git_ms: reference.catFileMs,
        objects: ids.length,
        objects_per_s: perSecond(inflated.ms),
      },
    ];
  } finally {
    await scratch.drop();
  }
}

export const scenario: BenchScenario = {
  description: 'pack ingest into SQLite/PostgreSQL/MySQL and read-back, vs git index-pack / cat-file',
  // The ingest runs here, so under the server's V8 flags: as it runs in `mega serve`.
  inProcess: true,
  async run(args) {
    const work = await mkdtemp(join(tmpdir(), 'mega-bench-storage-'));
    try {
      const packPath =
        option(args, '--pack') ??
        (await generatePack(work, Number(option(args, '--commits') ?? DEFAULT_COMMITS)));
      const packSize = (await stat(packPath)).size;
      const copy = join(work, 'reference.pack');
      await writeFile(copy, await readFile(packPath));
      const runs = Math.max(1, Number(option(args, '--runs') ?? DEFAULT_RUNS));
      const holdingPack = args.includes('--holding')
        ? await generatePack(work, DEFAULT_COMMITS, 'other: ')
        : undefined;
      const indexPack = await fastest(runs, () =>
        run('git', ['index-pack', '--threads=1', '-o', join(work, 'reference.idx'), copy]),
      );
      let indexPackCpuMs = Infinity;
      for (let run = 0; run < runs; run++) {
        const args = ['index-pack', '--threads=1', '-o', join(work, 'reference.idx'), copy];
        indexPackCpuMs = Math.min(indexPackCpuMs, await gitCpuMs(args));
      }
      const strictArgs = ['index-pack', '--strict', '--threads=1', '-o', join(work, 'strict.idx'), copy];
      const strict = await fastest(runs, () => run('git', strictArgs));
      let strictCpuMs = Infinity;
      for (let run = 0; run < runs; run++) strictCpuMs = Math.min(strictCpuMs, await gitCpuMs(strictArgs));
      const refRepo = join(work, 'reference.git');
      await run('git', ['init', '-q', '--bare', refRepo]);
      await writeFile(join(refRepo, 'objects/pack/pack-ref.pack'), await readFile(packPath));
      await run('git', ['index-pack', join(refRepo, 'objects/pack/pack-ref.pack')]);
      const catFile = await fastest(runs, () =>
        run('git', ['cat-file', '--batch-all-objects', '--batch'], { cwd: refRepo }),
      );
      const reference = {
        indexPackMs: indexPack.ms,
        indexPackCpuMs,
        strictMs: strict.ms,
        strictCpuMs,
        catFileMs: catFile.ms,
      };
      const wanted = (option(args, '--dialects') ?? DIALECT_NAMES.join(',')).split(',') as DialectName[];
      const results: BenchResult[] = [];
      for (const dialect of wanted) {
        if (dialect !== 'sqlite' && !(await serviceAvailable(dialect))) continue;
        for (const result of await measureDialect(dialect, packPath, packSize, reference, runs, holdingPack))
          results.push(result);
      }
      return results;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};
