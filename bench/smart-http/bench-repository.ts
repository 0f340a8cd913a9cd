import { spawn } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { join } from 'node:path';
import { git } from '../../tests/support/git-cli.js';

/**
 * The repository both servers serve: `--repo DIR` (any local repository, all refs) or a generated
 * one with realistic history (files edited a few lines at a time, so the pack has deltas).
 */
export interface BenchRepositoryOptions {
  readonly repo?: string;
  readonly commits: number;
  readonly files: number;
  /** Instead of a text history: one commit of this many incompressible files of `largeFileBytes`. */
  readonly largeFiles?: number;
  readonly largeFileBytes?: number;
}

/** Makes a bare mirror of the benchmark repository at `target` and returns a description. */
export async function prepareMirror(
  options: BenchRepositoryOptions,
  workDir: string,
  target: string,
): Promise<string> {
  if (options.repo) {
    // --no-local and a repack: C git serves a packed repository, as a real server would.
    await git(['clone', '-q', '--mirror', '--no-local', options.repo, target]);
    await git(['-C', target, 'repack', '-q', '-a', '-d']);
    return options.repo;
  }
  const source = join(workDir, 'generated');
  await git(['init', '-q', '--bare', source]);
  if (options.largeFiles) {
    const bytes = options.largeFileBytes ?? 5 * 1024 * 1024;
    await fastImport(source, generateLargeFiles(options.largeFiles, bytes));
    await git(['clone', '-q', '--mirror', source, target]);
    return `generated (${options.largeFiles} files of ${(bytes / 1024 / 1024).toFixed(1)} MiB)`;
  }
  await fastImport(source, generateHistory(options.commits, options.files));
  await git(['-C', source, 'repack', '-q', '-a', '-d', '--window=10', '--depth=50']);
  await git(['clone', '-q', '--mirror', source, target]);
  return `generated (${options.commits} commits, ${options.files} files)`;
}

function fastImport(repo: string, stream: Generator<string | Buffer>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', repo, 'fast-import', '--quiet'], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`git fast-import exited with ${code}`)),
    );
    const write = () => {
      for (;;) {
        const next = stream.next();
        if (next.done) {
          child.stdin.end();
          return;
        }
        if (!child.stdin.write(next.value)) {
          child.stdin.once('drain', write);
          return;
        }
      }
    };
    write();
  });
}

/** Deterministic pseudo-random numbers (a fixed-seed LCG), so every run builds the same repository. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const WORDS =
  'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau'.split(
    ' ',
  );

function* generateHistory(commits: number, files: number): Generator<string | Buffer> {
  const random = lcg(42);
  const line = () => Array.from({ length: 8 }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
  const contents: string[][] = Array.from({ length: files }, () => Array.from({ length: 40 }, line));
  const pathOf = (i: number) => `src/module${i % 20}/sub${i % 7}/file${i}.txt`;
  for (let c = 1; c <= commits; c++) {
    const touched =
      c === 1 ? [...Array(files).keys()] : Array.from({ length: 8 }, () => Math.floor(random() * files));
    let body = '';
    for (const index of touched) {
      const lines = contents[index] as string[];
      lines.splice(Math.floor(random() * lines.length), 1, line(), line());
      const data = `${lines.join('\n')}\n`;
      body += `M 100644 inline ${pathOf(index)}\ndata ${Buffer.byteLength(data)}\n${data}\n`;
    }
    const message = `commit ${c}\n`;
    const when = 1_700_000_000 + c * 60;
    yield `commit refs/heads/main\ncommitter Bench <bench@example.com> ${when} +0000\ndata ${message.length}\n${message}`;
    yield body;
    if (c % 100 === 0) yield `reset refs/tags/v${c / 100}\nfrom refs/heads/main\n\n`;
  }
}

/**
 * One commit of `count` files of `bytes` pseudo-random bytes each (AES-CTR over zeros with a fixed
 * key: incompressible like media files, the same on every run, and fast to make).
 */
function* generateLargeFiles(count: number, bytes: number): Generator<string | Buffer> {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const message = `${count} large files\n`;
  yield `commit refs/heads/main\ncommitter Bench <bench@example.com> 1700000000 +0000\ndata ${message.length}\n${message}`;
  for (let i = 0; i < count; i++) {
    yield `M 100644 inline media/file${i}.bin\ndata ${bytes}\n`;
    yield cipher.update(Buffer.alloc(bytes));
    yield '\n';
  }
  yield '\n';
}
