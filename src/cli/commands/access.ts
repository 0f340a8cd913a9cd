import type { Command } from 'commander';
import { parseSubject, subjectLabel, type AccessAdmin } from '../../access/access-admin.js';
import { loadConfig } from '../../platform/config.js';
import { parseAccessPath } from '../../access/paths.js';
import { invalid } from '../../platform/errors.js';
import { pathAndAncestors } from '../../review/review-rules.js';
import { buildDomainServices, openAppStorage, type DomainServices } from '../app.js';
import { reviewCommand } from './access-review.js';

export interface StoreOptions {
  data?: string;
  config?: string;
}

/** Adds the options every command on the configured database takes. */
export function storeOptions(command: Command): Command {
  return command
    .option('--data <dir>', 'data directory (default ./data)')
    .option('--config <file>', 'JSON config file');
}

/**
 * Runs `work` with the access management service on the configured database and prints the
 * lines it returns. The operator acts: no permission check (the command has the database).
 */
export async function withAccessAdmin(
  options: StoreOptions,
  work: (admin: AccessAdmin) => Promise<readonly string[]>,
): Promise<void> {
  await withServices(options, (services) => work(services.accessAdmin));
}

/** Like `withAccessAdmin`, with every domain service (review rules live in src/review). */
async function withServices(
  options: StoreOptions,
  work: (services: DomainServices) => Promise<readonly string[]>,
): Promise<void> {
  const config = loadConfig({ configFile: options.config, overrides: { dataDir: options.data } });
  const storage = await openAppStorage(config);
  try {
    const lines = await work(buildDomainServices(storage, config));
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await storage.close();
  }
}

/**
 * `mega access list`'s review lines: the rules set on `--path` and above it, i.e. those in force
 * there (`path, review, approvals N|inherit, checks a,b|none|inherit`). Rules below `--path` are
 * not listed: `mega access review <path>` shows any one path's.
 */
async function reviewRuleLines(services: DomainServices, path: string): Promise<string[]> {
  const rules = await services.review.approvals.rulesOn(pathAndAncestors(path));
  return rules.map((rule) => {
    const approvals = rule.requiredApprovals === null ? 'inherit' : String(rule.requiredApprovals);
    const checks =
      rule.requiredChecks === null
        ? 'inherit'
        : rule.requiredChecks.length > 0
          ? rule.requiredChecks.join(',')
          : 'none';
    return `${rule.path}\treview\tapprovals ${approvals}\tchecks ${checks}`;
  });
}

/** `inherit` clears a setting (the path takes its parent's again). */
function settingValue<T>(value: string, choices: Readonly<Record<string, T>>): T | null {
  if (value === 'inherit') return null;
  if (!Object.hasOwn(choices, value)) {
    throw invalid('argument_invalid', `expected one of ${[...Object.keys(choices), 'inherit'].join(', ')}`, {
      value,
    });
  }
  return choices[value] as T;
}

/**
 * `mega access grant|revoke|list|visibility|self-merge|review|protect|unprotect`: roles on paths of
 * the Mega directory for users and groups (`@team`), path settings, review rules (required
 * approvals and checks) and protected-branch patterns.
 */
export function registerAccessCommand(program: Command): void {
  const access = program
    .command('access')
    .description('manage roles on paths, visibility and protected branches');
  storeOptions(
    access
      .command('grant <path> <subject> <role>')
      .description('give a user or @group a role (read, write, maintain, admin) on a path'),
  ).action((path: string, subject: string, role: string, options: StoreOptions) =>
    withAccessAdmin(options, async (admin) => {
      const granted = await admin.grant(path, parseSubject(subject), role);
      return [`mega: ${subject} has ${granted.role} on ${granted.path}`];
    }),
  );
  storeOptions(
    access
      .command('revoke <path> <subject>')
      .description("remove a user's or @group's grant on exactly this path"),
  ).action((path: string, subject: string, options: StoreOptions) =>
    withAccessAdmin(options, async (admin) => {
      await admin.revoke(path, parseSubject(subject));
      return [`mega: removed the grant of ${subject} on ${path}`];
    }),
  );
  storeOptions(
    access
      .command('list')
      .description(
        'list grants (path, subject, role) at or below a path, and the review rules in force there',
      )
      .option('--path <path>', 'only grants at or below this path', '/'),
  ).action((options: StoreOptions & { path: string }) =>
    withServices(options, async (services) => [
      ...(await services.accessAdmin.grants(options.path)).map(
        (grant) => `${grant.path}\t${subjectLabel(grant)}\t${grant.role}`,
      ),
      ...(await reviewRuleLines(services, parseAccessPath(options.path))),
    ]),
  );
  storeOptions(
    access
      .command('review <path>')
      .description("show a path's review rule; set its required approvals and check contexts")
      .option('--approvals <n>', 'required approvals, 0-100, or inherit (as its parent)')
      .option('--checks <contexts>', "required check contexts, comma-separated ('' for none), or inherit")
      .option('--json', 'print JSON (the shape of GET /api/v1/review-rules)'),
  ).action((path: string, options: StoreOptions & { approvals?: string; checks?: string; json?: boolean }) =>
    withServices(options, (services) => reviewCommand(services, path, options)),
  );
  storeOptions(
    access
      .command('visibility <path> <visibility>')
      .description('set a path public, internal or private (inherit: as its parent)'),
  ).action((path: string, value: string, options: StoreOptions) =>
    withAccessAdmin(options, async (admin) => {
      const visibility = settingValue(value, { public: 'public', internal: 'internal', private: 'private' });
      const setting = await admin.setPathSetting(path, { visibility });
      return [`mega: ${setting.path} visibility ${setting.visibility ?? 'inherited'}`];
    }),
  );
  storeOptions(
    access
      .command('self-merge <path> <rule>')
      .description('allow or deny authors merging their own merge requests (inherit: as its parent)'),
  ).action((path: string, value: string, options: StoreOptions) =>
    withAccessAdmin(options, async (admin) => {
      const selfMerge = settingValue(value, { allow: true, deny: false });
      const setting = await admin.setPathSetting(path, { selfMerge });
      const rule = setting.selfMerge === null ? 'inherited' : setting.selfMerge ? 'allowed' : 'denied';
      return [`mega: ${setting.path} self-merge ${rule}`];
    }),
  );
  storeOptions(
    access
      .command('protect <repo> <pattern>')
      .description('protect branches matching a pattern (main, release/*, release/**, refs/tags/v*)'),
  ).action((repo: string, pattern: string, options: StoreOptions) =>
    withAccessAdmin(options, async (admin) => {
      const entry = await admin.protect(repo, pattern);
      return [`mega: ${entry.repoPath} protects ${entry.pattern}`];
    }),
  );
  storeOptions(
    access.command('unprotect <repo> <pattern>').description('remove a protected-branch pattern'),
  ).action((repo: string, pattern: string, options: StoreOptions) =>
    withAccessAdmin(options, async (admin) => {
      await admin.unprotect(repo, pattern);
      return [`mega: ${repo} no longer protects ${pattern}`];
    }),
  );
}
