import { lazy } from 'react';

/**
 * Pages loaded when first opened, each its own chunk: a first visit (a repository or the directory)
 * downloads only what it shows, keeping the first page under issue 21's 150 KB. The directory,
 * tree, file and sign-in pages stay in the main bundle: they are where visitors land.
 */
export const BlamePage = lazy(() => import('./pages/blame-page').then((m) => ({ default: m.BlamePage })));
export const BranchesPage = lazy(() =>
  import('./pages/branches-page').then((m) => ({ default: m.BranchesPage })),
);
export const CommitPage = lazy(() => import('./pages/commits-page').then((m) => ({ default: m.CommitPage })));
export const CommitsPage = lazy(() =>
  import('./pages/commits-page').then((m) => ({ default: m.CommitsPage })),
);
export const ComparePage = lazy(() =>
  import('./pages/compare-page').then((m) => ({ default: m.ComparePage })),
);
export const GroupsPage = lazy(() => import('./pages/groups-page').then((m) => ({ default: m.GroupsPage })));
export const MergeRequestPage = lazy(() =>
  import('./pages/merge-request-page').then((m) => ({ default: m.MergeRequestPage })),
);
export const MergeRequestsPage = lazy(() =>
  import('./pages/merge-requests-page').then((m) => ({ default: m.MergeRequestsPage })),
);
export const SearchPage = lazy(() => import('./pages/search-page').then((m) => ({ default: m.SearchPage })));
export const SshKeysPage = lazy(() =>
  import('./pages/ssh-keys-page').then((m) => ({ default: m.SshKeysPage })),
);
export const SyncPage = lazy(() => import('./pages/sync-page').then((m) => ({ default: m.SyncPage })));
export const TokensPage = lazy(() => import('./pages/tokens-page').then((m) => ({ default: m.TokensPage })));
export const WebhooksPage = lazy(() =>
  import('./pages/webhooks-page').then((m) => ({ default: m.WebhooksPage })),
);
export const GithubIssuesPage = lazy(() =>
  import('./pages/github-pages').then((m) => ({ default: m.GithubIssuesPage })),
);
export const GithubIssuePage = lazy(() =>
  import('./pages/github-pages').then((m) => ({ default: m.GithubIssuePage })),
);
export const GithubPullsPage = lazy(() =>
  import('./pages/github-pages').then((m) => ({ default: m.GithubPullsPage })),
);
export const GithubPullPage = lazy(() =>
  import('./pages/github-pages').then((m) => ({ default: m.GithubPullPage })),
);
