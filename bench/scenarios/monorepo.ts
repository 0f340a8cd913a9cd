import type { BenchScenario } from '../main.js';
import { runMonorepoBench } from '../monorepo/monorepo-bench.js';

/** `npm run bench -- monorepo [--repos 10,100] [--runs 3] [--json]` */
export const scenario: BenchScenario = {
  description:
    'git clone of /projects with N repositories vs git http-backend serving the same tree: time, bytes',
  run: (args) => runMonorepoBench(args),
};
