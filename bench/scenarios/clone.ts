import type { BenchScenario } from '../main.js';
import { runCloneBench } from '../smart-http/smart-http-bench.js';

/** `npm run bench -- clone [--repo DIR] [--commits N] [--files N] [--runs N] [--json]` */
export const scenario: BenchScenario = {
  description:
    'git clone --mirror from mega serve (cold and from the clone pack cache) vs git http-backend: time, bytes, server peak RSS',
  run: (args) => runCloneBench(args),
};
