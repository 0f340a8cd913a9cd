import { readFile } from 'node:fs/promises';
/** One measured row: `scenario` names it, `ratio` is ours / C git (lower is better) where one applies. */
export interface BenchResult {
  readonly scenario: string;
  readonly ratio?: number;
  readonly [metric: string]: string | number | undefined;
}

function format(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
  return value;
}

/** Prints a table for people, or one JSON object per line with `--json`. */
export function printResults(results: readonly BenchResult[], options: { json: boolean }): void {
  if (options.json) {
    for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const columns = [...new Set(results.flatMap((result) => Object.keys(result)))];
  const rows = results.map((result) => columns.map((column) => format(result[column])));
  const widths = columns.map((column, i) =>
    rows.reduce((widest, row) => Math.max(widest, (row[i] ?? '').length), column.length),
  );
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(`${line(columns)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
}

/** Wall-clock milliseconds of an async step. */
export async function timeMs<T>(step: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await step();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

/** Wall and CPU milliseconds of an async step run in this process (harnesses compare CPU under load). */
export async function timed<T>(run: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await run();
  const used = process.cpuUsage(cpu);
  return {
    value,
    wallMs: Math.round(performance.now() - start),
    cpuMs: Math.round((used.user + used.system) / 1000),
  };
}

/** The machine's load average over 1, 5 and 15 minutes, printed beside each measurement. */
export async function loadAverage(): Promise<string> {
  return (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
}

/** The value after a `--name` argument, if given. */
export function argValue(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

/** The p-th percentile (nearest rank) of `values`; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}
