import type { BenchScenario } from '../main.js';
import { runPermissionsBench } from '../permissions/permissions-bench.js';

/** Issue 16: permission checks may cost `ls-remote` and the clone of /projects at most 10%. */
const MAX_RATIO = 1.1;

/** `npm run bench -- permissions [--repos 1000] [--grants 100] [--runs 3] [--database sqlite|postgres|mysql] [--json]` */
export const scenario: BenchScenario = {
  description:
    'git ls-remote and clone of /projects (1,000 repositories): no grants as admin vs 100 grants as a user (ratio b/a), and C git',
  run: (args) => runPermissionsBench(args),
  summarize: (results) => {
    const worst = results.reduce((most, result) => Math.max(most, result.ratio ?? 0), -Infinity);
    return `ratio is with grants / without (issue 16 allows ${MAX_RATIO.toFixed(2)}): worst ${worst.toFixed(3)} ${worst <= MAX_RATIO ? 'within' : 'OVER'} the budget`;
  },
};
