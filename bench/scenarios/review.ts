import type { BenchScenario } from '../main.js';
import { runReviewBench } from '../review/review-bench.js';

/** `npm run bench -- review [--repos 10] [--files 100] [--comments 200] [--runs 3] [--database …] [--json]` */
export const scenario: BenchScenario = {
  description:
    'a merge request of 1,000 files in 10 repositories: mergeability and merge vs git merge-tree, its page with 200 comments',
  run: (args) => runReviewBench(args),
  summarize: (results) =>
    results
      .map((result) => {
        const ms = Number(result.ms);
        const target = Number(result.target_ms);
        return `${result.scenario}: ${ms} ms (target < ${target} ms: ${ms < target ? 'met' : 'MISSED'})`;
      })
      .join('\n'),
};
