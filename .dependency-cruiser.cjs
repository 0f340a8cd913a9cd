/**
 * The import direction of SPEC §2, checked in CI:
 *   cli → web → ssh | github → sync | review | monorepo | lfs → access → repo → storage → git
 *   (github uses sync's credentials and schedules; sync never imports github)
 *   platform is usable from every layer and imports none of them.
 */
const layer = (name) => `^src/${name}/`;
const notAllowed = (from, targets, comment) => ({
  name: `${from}-not-to-${targets.join('-')}`,
  comment,
  severity: 'error',
  from: { path: layer(from) },
  to: { path: `^src/(${targets.join('|')})/` },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    notAllowed(
      'platform',
      [
        'git',
        'storage',
        'repo',
        'access',
        'web',
        'sync',
        'review',
        'monorepo',
        'lfs',
        'ssh',
        'github',
        'cli',
      ],
      'platform is the bottom layer',
    ),
    notAllowed(
      'git',
      ['storage', 'repo', 'access', 'web', 'sync', 'review', 'monorepo', 'lfs', 'ssh', 'github', 'cli'],
      'src/git is pure',
    ),
    notAllowed(
      'storage',
      ['repo', 'access', 'web', 'sync', 'review', 'monorepo', 'lfs', 'ssh', 'github', 'cli'],
      'storage sits on git only',
    ),
    notAllowed(
      'repo',
      ['access', 'web', 'sync', 'review', 'monorepo', 'lfs', 'ssh', 'github', 'cli'],
      'repo sits on storage',
    ),
    notAllowed(
      'access',
      ['web', 'sync', 'review', 'monorepo', 'lfs', 'ssh', 'github', 'cli'],
      'access sits on repo and storage',
    ),
    notAllowed(
      'sync',
      ['web', 'ssh', 'cli', 'github'],
      'domain services never import the transports; github builds on sync',
    ),
    notAllowed('review', ['web', 'ssh', 'cli'], 'domain services never import the transports'),
    notAllowed('monorepo', ['web', 'ssh', 'cli'], 'domain services never import the transports'),
    notAllowed('lfs', ['web', 'ssh', 'cli'], 'domain services never import the transports'),
    notAllowed('ssh', ['web', 'cli'], 'the SSH transport never imports the HTTP layer or the CLI'),
    notAllowed(
      'github',
      ['web', 'ssh', 'cli', 'review', 'monorepo', 'lfs'],
      'github sits on sync, repo and storage',
    ),
    notAllowed('web', ['cli'], 'the HTTP layer never imports the CLI'),
    {
      name: 'git-is-pure',
      comment: 'src/git: bytes in, bytes out. No database, network, Redis or filesystem.',
      severity: 'error',
      from: { path: '^src/git/' },
      to: {
        path: '^(node:)?(fs|fs/promises|net|http|https|http2|child_process|dgram|tls)$|^(pg|mysql2|better-sqlite3|kysely|ioredis|fastify)',
        dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'],
      },
    },
    {
      name: 'sql-only-in-storage',
      comment: 'nothing above src/storage writes SQL',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/storage/' },
      to: {
        path: '(^|/)node_modules/(kysely|pg|mysql2|better-sqlite3)/',
        dependencyTypes: ['npm', 'npm-dev', 'npm-no-pkg', 'npm-unknown'],
      },
    },
    {
      name: 'no-database-above-storage',
      comment:
        'layers above src/storage see stores (storage.ts StorageScope), never Kysely or the database handle',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/storage/' },
      to: {
        // npm modules resolve to their files (…/node_modules/kysely/dist/…), type imports included.
        path: '(^|/)node_modules/kysely/|^src/storage/(database|open-database)\\.ts$',
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
