import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authEnv } from '../../tests/http/http-fixture.js';
import { git, gitText } from '../../tests/support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../../tests/support/mega-process.js';
import { timeMs, type BenchResult } from '../report.js';
import { startCountingProxy, type CountingProxy } from '../smart-http/counting-proxy.js';
import { startHttpBackendBridge } from '../smart-http/http-backend-bridge.js';

/**
 * `monorepo` benchmark: `git clone` of `/projects` (N repositories expanded into one synthetic
 * commit) from `mega serve`, against `git clone` of an ordinary repository holding exactly the
 * same tree served by C git's `git http-backend`; both behind byte-counting loopback proxies, in
 * the same run. The two clones' root tree ids are compared, so both sides serve the same content.
 */
const FILES_PER_REPO = 20;
const FILE_BYTES = 1024;

function argValue(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** Deterministic text content: repositories differ, files compress like source code. */
function fileText(repo: number, file: number): string {
  const lines: string[] = [];
  let state = repo * 7919 + file * 104_729 + 1;
  while (lines.join('\n').length < FILE_BYTES) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    lines.push(`const value_${file}_${state.toString(36)} = compute(${state % 997}, "repo-${repo}");`);
  }
  return `${lines.join('\n')}\n`;
}

async function makeProject(dir: string, index: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let file = 0; file < FILES_PER_REPO; file++) {
    const sub = join(dir, `src/module${file % 4}`);
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, `file${file}.ts`), fileText(index, file));
  }
  await writeFile(join(dir, 'README.md'), `# project ${index}\n`);
  await git(['init', '-q', '-b', 'main', dir]);
  await git(['add', '-A'], { cwd: dir });
  await git(['commit', '-q', '-m', `project ${index}`], { cwd: dir });
}

async function measure(
  proxy: CountingProxy,
  step: () => Promise<unknown>,
): Promise<{ ms: number; bytes: number }> {
  proxy.reset();
  const { ms } = await timeMs(step);
  const { down, up } = proxy.counts();
  return { ms, bytes: down + up };
}

async function benchOne(repos: number, runs: number): Promise<BenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'mega-bench-monorepo-'));
  let server: MegaServer | undefined;
  const closers: Array<() => Promise<void>> = [];
  try {
    const dataDir = join(dir, 'data');
    const created = await runMega(['token', 'create', 'bench', '--admin', '--data', dataDir]);
    if (created.code !== 0) throw new Error(`mega token create failed: ${created.stderr}`);
    const token = created.stdout.trim().split('\n').pop() ?? '';
    server = await startMegaServer({ dataDir, args: ['--no-worker'] });
    // The equivalent ordinary repository: the same files at the same paths, one commit.
    const plain = join(dir, 'plain');
    await mkdir(plain, { recursive: true });
    for (let index = 0; index < repos; index++) {
      const project = join(dir, 'projects', `p${index}`);
      await makeProject(project, index);
      // The token travels in the child's environment, never in the URL or argv.
      await git(['push', '-q', `${server.url}/projects/p${index}`, 'main'], {
        cwd: project,
        env: authEnv(token),
      });
      await cp(project, join(plain, `p${index}`), {
        recursive: true,
        filter: (source) => !source.endsWith('/.git'),
      });
    }
    const root = join(dir, 'root');
    await git(['clone', '-q', `${server.url}/`, root]);
    await writeFile(join(plain, 'README.md'), await readFile(join(root, 'projects/README.md')));
    await git(['init', '-q', '-b', 'main', plain]);
    await git(['add', '-A'], { cwd: plain });
    await git(['commit', '-q', '-m', 'plain'], { cwd: plain });
    const cgitRoot = join(dir, 'cgit');
    await git(['clone', '-q', '--bare', plain, join(cgitRoot, 'projects.git')]);

    const bridge = await startHttpBackendBridge(cgitRoot);
    closers.push(() => bridge.close());
    const ours = await startCountingProxy(server.url);
    const theirs = await startCountingProxy(bridge.url);
    closers.push(
      () => ours.close(),
      () => theirs.close(),
    );

    // The first clone computes the view (expansion, recomputed trees, objects linked).
    const cold = await measure(ours, () => git(['clone', '-q', `${ours.url}/projects`, join(dir, 'cold')]));
    const expectedTree = await gitText(['rev-parse', 'HEAD^{tree}'], { cwd: plain });
    if ((await gitText(['rev-parse', 'HEAD^{tree}'], { cwd: join(dir, 'cold') })) !== expectedTree) {
      throw new Error('the /projects clone does not hold the same tree as the plain repository');
    }
    await git(['fsck', '--strict', '--no-progress'], { cwd: join(dir, 'cold') });
    const oursRuns = [];
    const theirRuns = [];
    for (let run = 0; run < runs; run++) {
      theirRuns.push(
        await measure(theirs, () =>
          git(['clone', '-q', `${theirs.url}/projects.git`, join(dir, `cgit-${run}`)]),
        ),
      );
      oursRuns.push(
        await measure(ours, () => git(['clone', '-q', `${ours.url}/projects`, join(dir, `mega-${run}`)])),
      );
    }
    const oursMs = median(oursRuns.map((run) => run.ms));
    const theirMs = median(theirRuns.map((run) => run.ms));
    const oursBytes = median(oursRuns.map((run) => run.bytes));
    const theirBytes = median(theirRuns.map((run) => run.bytes));
    return {
      scenario: 'monorepo',
      repos,
      files: repos * (FILES_PER_REPO + 1) + 1,
      cold_ms: Math.round(cold.ms),
      ours_ms: Math.round(oursMs),
      cgit_ms: Math.round(theirMs),
      ratio: oursMs / theirMs,
      cold_ratio: cold.ms / theirMs,
      ours_bytes: oursBytes,
      cgit_bytes: theirBytes,
      bytes_ratio: oursBytes / theirBytes,
    };
  } finally {
    for (const close of closers) await close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `npm run bench -- monorepo [--repos 10,100] [--runs 3]` */
export async function runMonorepoBench(args: readonly string[]): Promise<BenchResult[]> {
  const counts = (argValue(args, '--repos') ?? '10,100').split(',').map(Number);
  const runs = Number(argValue(args, '--runs') ?? 3);
  const results: BenchResult[] = [];
  for (const repos of counts) results.push(await benchOne(repos, runs));
  return results;
}
