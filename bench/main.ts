import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printResults, type BenchResult } from './report.js';
import { MEGA_ENV, MEGA_NODE_FLAGS } from '../tests/support/mega-process.js';

/**
 * `npm run bench -- <scenario> [options] [--json]`
 *
 * Each file in bench/scenarios/ is one scenario named after the file. A scenario runs our code and
 * C git on the same input in the same run and reports ratios (ours / C git unless it says otherwise).
 */
export interface BenchScenario {
  readonly description: string;
  run(args: readonly string[]): Promise<BenchResult[]>;
  /** One closing line after the table (on stderr with `--json`, so stdout stays one object a line). */
  summarize?(results: readonly BenchResult[]): string;
  /**
   * Runs our code in the bench's own process (not in a `mega` child), so the bench must run under
   * the server's V8 flags and glibc settings for its numbers to be the server's.
   */
  readonly inProcess?: boolean;
}

const scenarioDir = fileURLToPath(new URL('./scenarios/', import.meta.url));

function scenarioNames(): string[] {
  return readdirSync(scenarioDir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
}

async function loadScenario(name: string): Promise<BenchScenario> {
  const module = (await import(`./scenarios/${name}.ts`)) as { scenario: BenchScenario };
  return module.scenario;
}

async function main(argv: readonly string[]): Promise<void> {
  const json = argv.includes('--json');
  const args = argv.filter((arg) => arg !== '--json');
  const [name, ...rest] = args;
  const names = scenarioNames();
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write('usage: npm run bench -- <scenario> [options] [--json]\n\nscenarios:\n');
    for (const scenarioName of names) {
      process.stdout.write(
        `  ${scenarioName.padEnd(10)} ${(await loadScenario(scenarioName)).description}\n`,
      );
    }
    return;
  }
  const selected = name === 'all' ? names : [name];
  const scenarios: BenchScenario[] = [];
  for (const scenarioName of selected) {
    if (!names.includes(scenarioName))
      throw new Error(`unknown scenario ${scenarioName}; one of: ${names.join(', ')}`);
    scenarios.push(await loadScenario(scenarioName));
  }
  if (scenarios.some((scenario) => scenario.inProcess) && !underServerSettings()) {
    rerunUnderServerSettings();
    return;
  }
  for (const scenario of scenarios) {
    const results = await scenario.run(rest);
    printResults(results, { json });
    const summary = scenario.summarize?.(results);
    if (summary !== undefined) (json ? process.stderr : process.stdout).write(`${summary}\n`);
  }
}

/**
 * Whether this process runs under the server's V8 flags and glibc settings (bin/mega.js). Without
 * them the storage scenario's ingest took ~25 % less CPU than the same ingest in `mega serve`
 * (docs/scale.md, "The server's GC flags and the ingest").
 */
function underServerSettings(): boolean {
  return (
    MEGA_NODE_FLAGS.every((flag) => process.execArgv.includes(flag)) &&
    Object.entries(MEGA_ENV).every(([name, value]) => process.env[name] === value)
  );
}

/** Runs this whole bench again under the server's settings; its exit code becomes ours. */
function rerunUnderServerSettings(): void {
  const child = spawnSync(
    process.execPath,
    [...MEGA_NODE_FLAGS, ...process.execArgv, ...process.argv.slice(1)],
    {
      stdio: 'inherit',
      env: { ...process.env, ...MEGA_ENV },
    },
  );
  process.exitCode = child.status ?? 1;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
