import type { BenchScenario } from '../main.js';
import { runCloneBench, runPushBench } from '../smart-http/smart-http-bench.js';

/**
 * `npm run bench -- large-files [--large-files N] [--large-file-mib M] [--database sqlite|postgres|mysql] [--runs N] [--json]`
 *
 * A repository of 200 incompressible files of 5 MiB (issue 17: large objects live in the
 * database's chunk rows): push and clone against C git, with the server's peak RSS.
 */
export const scenario: BenchScenario = {
  description: 'push and clone of 200 files of 5 MiB vs git http-backend: time, bytes, server peak RSS',
  run: async (args) => {
    const withDefaults = [
      ...args,
      ...(args.includes('--large-files') ? [] : ['--large-files', '200']),
      ...(args.includes('--large-file-mib') ? [] : ['--large-file-mib', '5']),
    ];
    return [...(await runPushBench(withDefaults)), ...(await runCloneBench(withDefaults))];
  },
};
