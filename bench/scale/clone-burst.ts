/**
 * What the concurrency harnesses share: a burst of concurrent `git clone --mirror` runs timed
 * with the clients' CPU, and CPU time read from `/proc` (our servers, PostgreSQL's backends).
 */
import { execFile, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** utime + stime (with `children`: cutime + cstime) of a process in ms; 0 once it is gone. */
export async function cpuMs(pid: number | 'self', children = false): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.split(') ')[1]?.split(' ') ?? [];
  const at = children ? 13 : 11;
  return (Number(fields[at] ?? 0) + Number(fields[at + 1] ?? 0)) * 10;
}

/** The pids of the local PostgreSQL's backends connected to `database`. */
export async function postgresBackendPids(database: string): Promise<number[]> {
  const name = database.replace(/[^a-z0-9_]/gi, '');
  const { stdout } = await promisify(execFile)('psql', [
    '-h',
    '127.0.0.1',
    '-U',
    'postgres',
    '-qAt',
    '-c',
    `select pid from pg_stat_activity where datname = '${name}'`,
  ]);
  return stdout.split('\n').filter(Boolean).map(Number);
}

/** One `git clone --mirror` under `/usr/bin/time`: its CPU ms with every process it waited for. */
function timedClone(url: string, target: string, env: Record<string, string>): Promise<number> {
  return new Promise((done, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%U %S', 'git', 'clone', '-q', '--mirror', url, target], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const [user, sys] = (stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
      if (code !== 0 || user === undefined || sys === undefined) reject(new Error(`clone failed: ${stderr}`));
      else done(Math.round((user + sys) * 1000));
    });
  });
}

/** `clones` clones at once, round-robin over `urls`, into `dir` (removed after): wall and clients' CPU ms. */
export async function cloneBurst(
  dir: string,
  label: string,
  urls: readonly string[],
  clones: number,
  env: Record<string, string>,
): Promise<{ wall: number; client: number }> {
  const started = performance.now();
  const cpu = await Promise.all(
    Array.from({ length: clones }, (_, i) =>
      timedClone(urls[i % urls.length] as string, join(dir, `${label}-${i}`), env),
    ),
  );
  const wall = Math.round(performance.now() - started);
  for (let i = 0; i < clones; i++) await rm(join(dir, `${label}-${i}`), { recursive: true, force: true });
  return { wall, client: cpu.reduce((a, b) => a + b, 0) };
}
