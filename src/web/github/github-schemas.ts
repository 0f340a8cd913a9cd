import { z } from 'zod';
import { components } from '../api/operation.js';
import { pageSchema } from '../api/pagination.js';

/** Response schemas of the GitHub routes (documentation; `github-views.ts` builds the values). */
export const LinkSchema = z
  .object({
    repo: z.string().describe('The /import repository'),
    repository: z.string().describe('owner/name on GitHub'),
    htmlUrl: z.string(),
    apiUrl: z.string(),
    credentialId: z.int().nullable().describe('The sync credential holding the API token'),
    source: z.enum(['manual', 'sync']).describe('sync: made for a mirrored sync repository'),
    syncRepositoryId: z.int().nullable(),
    webhookSecretSet: z.boolean(),
    lastSyncedAt: z.string().nullable(),
    lastError: z.string().nullable(),
    rateLimitedUntil: z.string().nullable(),
    createdAt: z.string(),
  })
  .register(components, { id: 'GithubLink' });

export const LinkCreatedSchema = z.object({
  link: LinkSchema,
  webhookSecret: z.string().describe('Shown this once: give it to GitHub as the webhook secret'),
});

const Counts = z.record(z.string(), z.int()).describe('By state');
export const LinkStatusSchema = LinkSchema.extend({ counts: z.object({ issues: Counts, pulls: Counts }) });

export const PollResultSchema = z.object({
  issues: z.int(),
  pulls: z.int(),
  comments: z.int(),
  unchanged: z.array(z.string()).describe('Listings GitHub answered 304'),
  skipped: z.int().describe('Malformed items not stored'),
});

const Person = z.object({ login: z.string(), id: z.int() });
const Label = z.object({ name: z.string(), color: z.string().nullable() });
const IssueSchema = z
  .object({
    number: z.int(),
    title: z.string(),
    state: z.string(),
    user: Person.nullable(),
    sender: Person.describe('Who caused the last event (the seed’s sender_*)'),
    body: z.string().nullable(),
    htmlUrl: z.string().nullable(),
    labels: z.array(Label),
    createdAt: z.string(),
    updatedAt: z.string(),
    closedAt: z.string().nullable(),
  })
  .register(components, { id: 'GithubIssue' });
const Branch = z.object({ label: z.string(), ref: z.string(), sha: z.string().nullable() });
const PullSchema = IssueSchema.extend({
  mergedAt: z.string().nullable(),
  mergeCommitSha: z.string().nullable(),
  draft: z.boolean(),
  head: Branch,
  base: Branch,
  commitsUrl: z.string(),
  patchUrl: z.string(),
}).register(components, { id: 'GithubPullRequest' });
const CommentSchema = z.object({
  id: z.int(),
  user: Person,
  body: z.string().nullable(),
  htmlUrl: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const IssuePageSchema = pageSchema(IssueSchema).extend({ link: LinkSchema });
export const PullPageSchema = pageSchema(PullSchema).extend({ link: LinkSchema });
export const IssueDetailSchema = z.object({ issue: IssueSchema, comments: z.array(CommentSchema) });
export const PullDetailSchema = z.object({
  pull: PullSchema,
  comments: z.array(CommentSchema),
  mirror: z
    .object({
      ref: z.string().describe('refs/pull/N/head'),
      head: z.string().nullable().describe('Its commit in this server’s mirror, null when not held'),
      base: z.string().nullable().describe('A revision to compare the head against'),
    })
    .describe('Browse the commits and diff with compareCommits(base, head) when head is set'),
});

export const WebhookOutcomeSchema = z.object({
  status: z.enum(['stored', 'ignored', 'duplicate']),
  event: z.string(),
  action: z.string().nullable(),
  repositories: z.array(z.string()).describe('The /import repositories the delivery was applied to'),
});
