import type { BenchScenario } from '../main.js';
import { runScaleBench } from '../scale/scale-bench.js';

/** `npm run bench -- scale [--size small|large] [--repo DIR] [--database sqlite|postgres|mysql] [--rounds N] [--push-series N] [--check]` */
export const scenario: BenchScenario = {
  description:
    'a git/git-sized repository (497k objects) end to end: push, clones, fetch, shallow clone, ls-remote vs git http-backend [--size small|large] [--rounds N] [--push-series N] [--check]',
  run: (args) => runScaleBench(args),
  summarize: (results) => {
    const timed = results.filter((result) => typeof result.ratio === 'number');
    const worst = timed.reduce((most, result) => Math.max(most, result.ratio ?? 0), 0);
    const check = results.find((result) => result.scenario.startsWith('check'));
    return `worst ratio ${worst.toFixed(2)} (ours / C git)${check ? `; correctness check ${String(check.outcome)}` : ''}`;
  },
};
