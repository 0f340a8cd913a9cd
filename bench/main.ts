import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printResults, type BenchResult } from './report.js';

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
  for (const scenarioName of selected) {
    if (!names.includes(scenarioName))
      throw new Error(`unknown scenario ${scenarioName}; one of: ${names.join(', ')}`);
    const scenario = await loadScenario(scenarioName);
    const results = await scenario.run(rest);
    printResults(results, { json });
    const summary = scenario.summarize?.(results);
    if (summary !== undefined) (json ? process.stderr : process.stdout).write(`${summary}\n`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
