import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker whose entry module is `entry` (a `.js` URL next to the caller's compiled
 * module). Compiled code (`dist/`) starts that file. Run from TypeScript sources (vitest, tsx),
 * Node cannot load a `.ts` worker by itself and loader hooks of the parent do not reach workers
 * (Node 20), so the worker first registers tsx's loader, then imports the `.ts` entry: slower to
 * start (~0.3 s), used by tests only. `callerUrl` is the caller's `import.meta.url`.
 */
export function startModuleWorker(
  callerUrl: string,
  entry: string,
  options: Omit<WorkerOptions, 'eval'> = {},
): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${entry}.js`, callerUrl), options);
  const href = JSON.stringify(new URL(`./${entry}.ts`, callerUrl).href);
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${href}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
