import type { BenchScenario } from '../main.js';
import { runPushBench } from '../smart-http/smart-http-bench.js';

/** `npm run bench -- push [--repo DIR] [--commits N] [--files N] [--runs N] [--json]` */
export const scenario: BenchScenario = {
  description: 'git push --mirror to mega serve vs git http-backend: time, bytes, server peak RSS',
  run: (args) => runPushBench(args),
};
