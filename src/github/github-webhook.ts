import { verify } from '@octokit/webhooks-methods';
import { invalid, unauthorized } from '../platform/errors.js';
import type { SecretBox } from '../platform/secret-box.js';
import type { GithubLinkRow } from '../storage/github/github-link-store.js';
import type { StorageScope } from '../storage/storage.js';
import {
  CommentSchema,
  commentValues,
  IssueSchema,
  issueValues,
  labelsOf,
  parsePayload,
  PullRequestSchema,
  pullRequestValues,
  WebhookEnvelope,
  type GithubUser,
} from './github-payloads.js';
import type { GithubStorage } from './github-storage.js';
import { webhookSecretData } from './webhook-secret.js';

/** One received `POST /api/v1/github/webhook`, as the route hands it over. */
export interface WebhookDelivery {
  /** `X-GitHub-Event` */
  readonly event: string | undefined;
  /** `X-GitHub-Delivery` */
  readonly deliveryId: string | undefined;
  /** `X-Hub-Signature-256`: `sha256=<hex HMAC of the raw body>`. */
  readonly signature: string | undefined;
  /** The body exactly as received: the signature is over these bytes. */
  readonly body: string;
}

export interface WebhookOutcome {
  /** `stored`: rows written; `ignored`: an event we do not keep; `duplicate`: delivered before. */
  readonly status: 'stored' | 'ignored' | 'duplicate';
  readonly event: string;
  readonly action: string | null;
  readonly repositories: readonly string[];
}

const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;
const EVENT = /^[a-z_]{1,64}$/;
export const STORED_EVENTS = ['issues', 'issue_comment', 'pull_request'] as const;

/**
 * Receives GitHub's webhooks. The signature is checked (`@octokit/webhooks-methods`) against the
 * secret of each link to the payload's repository before anything else is read from the payload;
 * unsigned or wrongly signed deliveries are refused (401) and nothing is stored. A delivery is
 * processed in one transaction with its `github_deliveries` row, so each `X-GitHub-Delivery` is
 * applied once: a replay answers `duplicate` and changes nothing, a failure leaves it unclaimed.
 */
export class GithubWebhookReceiver {
  constructor(
    private readonly storage: GithubStorage,
    private readonly box: SecretBox,
  ) {}

  async receive(delivery: WebhookDelivery): Promise<WebhookOutcome> {
    if (!delivery.signature) throw unauthorized('github_signature_missing', 'X-Hub-Signature-256 is missing');
    if (!/^sha256=[0-9a-f]{64}$/.test(delivery.signature))
      throw unauthorized('github_signature_invalid', 'X-Hub-Signature-256 does not match');
    if (!delivery.deliveryId || !DELIVERY_ID.test(delivery.deliveryId))
      throw invalid('github_delivery_missing', 'X-GitHub-Delivery is missing or malformed');
    if (!delivery.event || !EVENT.test(delivery.event))
      throw invalid('github_payload_invalid', 'X-GitHub-Event is missing or malformed');
    let json: unknown;
    try {
      json = JSON.parse(delivery.body);
    } catch {
      throw invalid('github_payload_invalid', 'the payload is not JSON');
    }
    const envelope = parsePayload(WebhookEnvelope, json, 'webhook');
    const links = await this.verifiedLinks(envelope.repository, delivery);
    const event = delivery.event;
    const action = envelope.action ?? null;
    const stored = (STORED_EVENTS as readonly string[]).includes(event);
    // Parsed before the transaction: a malformed payload claims nothing, a redelivery may succeed.
    const apply = stored ? this.changes(event, action, json, envelope.sender) : undefined;
    const claimed = await this.storage.transaction(async (scope) => {
      const first = await scope.github.links.claimDelivery({
        deliveryId: delivery.deliveryId as string,
        event,
        action,
        repoId: links[0]?.repo_id ?? null,
        outcome: apply ? 'stored' : 'ignored',
      });
      if (!first) return false;
      for (const link of links) await apply?.(scope, { id: link.repo_id, path: link.repo_path });
      return true;
    });
    return {
      status: !claimed ? 'duplicate' : apply ? 'stored' : 'ignored',
      event,
      action,
      repositories: links.map((link) => link.repo_path),
    };
  }

  /** The links to the payload's repository whose webhook secret signed these bytes. */
  private async verifiedLinks(
    repository: { full_name: string; html_url: string } | undefined,
    delivery: WebhookDelivery,
  ): Promise<GithubLinkRow[]> {
    const [owner, name] = repository?.full_name.split('/') ?? [];
    const candidates = owner && name ? await this.storage.github.links.byFullName(owner, name) : [];
    const host = hostOf(repository?.html_url);
    const verified: GithubLinkRow[] = [];
    for (const link of candidates) {
      if (!link.webhook_secret_sealed || hostOf(link.web_url) !== host) continue;
      let secret: string;
      try {
        secret = this.box.open(link.webhook_secret_sealed, webhookSecretData(link.id));
      } catch {
        // Sealed under another deployment secret, or damaged: this link cannot verify anything.
        continue;
      }
      if (await verify(secret, delivery.body, delivery.signature as string)) verified.push(link);
    }
    // One answer for "no such link", "no secret" and "wrong signature": nothing to probe.
    if (verified.length === 0)
      throw unauthorized('github_signature_invalid', 'X-Hub-Signature-256 does not match');
    return verified;
  }

  private changes(
    event: string,
    action: string | null,
    json: unknown,
    sender: GithubUser | undefined,
  ): (scope: StorageScope, repo: { id: number; path: string }) => Promise<void> {
    const body = json as Record<string, unknown>;
    if (event === 'issues') {
      const issue = parsePayload(IssueSchema, body.issue, 'issue');
      if (action === 'deleted' || action === 'transferred')
        return (scope, repo) => scope.github.issues.deleteIssue(repo.id, issue.number);
      return async (scope, repo) => {
        await scope.github.issues.upsertIssue(issueValues(issue, repo, sender), labelsOf(issue.labels));
      };
    }
    if (event === 'issue_comment') {
      const issue = parsePayload(IssueSchema, body.issue, 'issue');
      const comment = parsePayload(CommentSchema, body.comment, 'comment');
      return async (scope, repo) => {
        if (action === 'deleted') await scope.github.issues.deleteComment(repo.id, comment.id);
        else await scope.github.issues.upsertComment(commentValues(comment, repo, issue.number));
        // The embedded issue is as fresh as the comment; a pull request's comes with its own events.
        if (!issue.pull_request)
          await scope.github.issues.upsertIssue(issueValues(issue, repo, sender), labelsOf(issue.labels));
      };
    }
    const pull = parsePayload(PullRequestSchema, body.pull_request, 'pull request');
    return async (scope, repo) => {
      await scope.github.issues.upsertPullRequest(
        pullRequestValues(pull, repo, sender),
        labelsOf(pull.labels),
      );
    };
  }
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}
