import { conflict, invalid, isMegaError, notFound } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { SecretBox } from '../platform/secret-box.js';
import type { GithubLinkRow } from '../storage/github/github-link-store.js';
import type { Repository } from '../storage/repository-store.js';
import { CredentialVault } from '../sync/credential-vault.js';
import { GithubClient, type GithubClientOptions } from './github-client.js';
import { parseGithubLocation } from './github-location.js';
import { pollLink, readCursors, type PollResult } from './github-poll.js';
import type { GithubStorage } from './github-storage.js';
import { GithubWebhookReceiver, type WebhookDelivery, type WebhookOutcome } from './github-webhook.js';
import { linkView, type LinkView } from './github-views.js';
import { checkWebhookSecret, generateWebhookSecret, webhookSecretData } from './webhook-secret.js';

export interface GithubServiceDeps {
  readonly storage: GithubStorage;
  /** The sync credentials' box: opens API tokens, seals webhook secrets. */
  readonly box: SecretBox;
  readonly logger: Logger;
  /** Client settings for tests (a fetch bound to the fake API, a sleep that does not wait). */
  readonly client?: Omit<GithubClientOptions, 'apiUrl' | 'token'>;
}

export interface LinkInput {
  /** The /import repository, e.g. `/import/hello-world`. */
  readonly repo: string;
  /** `owner/name` or a URL of the repository on GitHub. */
  readonly repository: string;
  /** A GitHub Enterprise Server, e.g. `https://ghe.example.com`; default github.com. */
  readonly baseUrl?: string;
  /** A sync credential (token or password type) whose secret is the API token. */
  readonly credentialId?: number | null;
  /** The webhook secret; generated when absent. */
  readonly webhookSecret?: string;
}

/**
 * The GitHub use cases for REST, CLI and the scheduler: links, polls, webhooks. Links belong to
 * /import repositories only (third-party code: SPEC's import area), one per repository.
 */
export class GithubService {
  private readonly vault: CredentialVault;
  readonly webhooks: GithubWebhookReceiver;

  constructor(private readonly deps: GithubServiceDeps) {
    this.vault = new CredentialVault(deps.box);
    this.webhooks = new GithubWebhookReceiver(deps.storage, deps.box);
  }

  /** Links and returns the link with its webhook secret (shown this once). */
  async link(input: LinkInput): Promise<{ link: LinkView; webhookSecret: string }> {
    const repository = await this.importRepository(input.repo);
    const location = parseGithubLocation(input.repository, input.baseUrl);
    const credentialId = input.credentialId ?? null;
    if (credentialId !== null) await this.token(credentialId);
    const secret = input.webhookSecret ? checkWebhookSecret(input.webhookSecret) : generateWebhookSecret();
    const { links } = this.deps.storage.github;
    const exists = () =>
      conflict('github_link_exists', 'the repository is linked already', { repo: repository.path });
    if (await links.byRepository(repository.id)) throw exists();
    let id: number;
    try {
      id = await this.deps.storage.transaction(async (scope) => {
        const created = await scope.github.links.create({
          repoId: repository.id,
          repoPath: repository.path,
          ...location,
          credentialId,
          source: 'manual',
          syncRepositoryId: null,
        });
        await scope.github.links.update(created, {
          webhookSecretSealed: this.deps.box.seal(secret, webhookSecretData(created)),
        });
        return created;
      });
    } catch (error) {
      // Outside the transaction (SQLite's one connection is free again): a concurrent link won.
      if (await links.byRepository(repository.id)) throw exists();
      throw error;
    }
    return { link: linkView((await links.byId(id)) as GithubLinkRow), webhookSecret: secret };
  }

  async unlink(repoPath: string): Promise<void> {
    const link = await this.linkOf(repoPath);
    // Unlinking forgets what the link brought: no issue stays without its source.
    await this.deps.storage.transaction(async (scope) => {
      await scope.github.links.delete(link.id);
      await scope.github.issues.deleteRepository(link.repo_id);
    });
  }

  async links(): Promise<LinkView[]> {
    return (await this.deps.storage.github.links.list()).map(linkView);
  }

  /** The link of a repository with its counts; `github_link_not_found` when it has none. */
  async status(
    repoPath: string,
  ): Promise<LinkView & { counts: { issues: Record<string, number>; pulls: Record<string, number> } }> {
    const link = await this.linkOf(repoPath);
    return { ...linkView(link), counts: await this.deps.storage.github.issues.counts(link.repo_id) };
  }

  /** Backfills or polls one repository now. */
  async sync(repoPath: string): Promise<PollResult> {
    return this.poll(await this.linkOf(repoPath));
  }

  /** Polls every link (the scheduler's slot); failures are recorded on their link and logged. */
  async syncAll(): Promise<{ polled: number; failed: number }> {
    let polled = 0;
    let failed = 0;
    for (const link of await this.deps.storage.github.links.list()) {
      const until = readCursors(link.cursors).rateLimitedUntil;
      if (until && Date.parse(until) > Date.now()) continue;
      try {
        await this.poll(link);
        polled += 1;
      } catch (error) {
        failed += 1;
        this.deps.logger.warn(
          { repo: link.repo_path, code: isMegaError(error) ? error.code : undefined },
          'GitHub poll failed',
        );
      }
    }
    return { polled, failed };
  }

  /**
   * Links the /import mirror of every sync repository whose remote is on github.com, with the
   * sync repository's credential when it is a token or password. Runs before each poll slot and
   * on `mega github sync --all`; an existing link of the mirror is left as it is.
   */
  async autoLink(): Promise<number> {
    const { storage } = this.deps;
    let created = 0;
    for (const row of await storage.sync.config.mirroredRepositories()) {
      if (!row.mirror_to || (await storage.github.links.bySyncRepository(row.id))) continue;
      let location;
      try {
        location = parseGithubLocation(row.url);
      } catch {
        continue;
      }
      const repository = await storage.repositories.find(row.mirror_to);
      if (!repository || (await storage.github.links.byRepository(repository.id))) continue;
      const credential =
        row.credential_id === null
          ? undefined
          : await storage.sync.config.credentialWithSecret(row.credential_id);
      try {
        await storage.github.links.create({
          repoId: repository.id,
          repoPath: repository.path,
          ...location,
          credentialId: credential && credential.type !== 'ssh_key' ? credential.id : null,
          source: 'sync',
          syncRepositoryId: row.id,
        });
        created += 1;
      } catch (error) {
        // Another server linked it at the same moment.
        if (!(await storage.github.links.byRepository(repository.id))) throw error;
      }
    }
    return created;
  }

  receiveWebhook(delivery: WebhookDelivery): Promise<WebhookOutcome> {
    return this.webhooks.receive(delivery);
  }

  /** The link of an /import repository path. */
  async linkOf(repoPath: string): Promise<GithubLinkRow> {
    const repository = await this.importRepository(repoPath);
    const link = await this.deps.storage.github.links.byRepository(repository.id);
    if (!link)
      throw notFound('github_link_not_found', 'the repository is not linked to GitHub', {
        repo: repository.path,
      });
    return link;
  }

  private async poll(link: GithubLinkRow): Promise<PollResult> {
    const token = link.credential_id === null ? undefined : await this.token(link.credential_id);
    const client = new GithubClient({
      ...this.deps.client,
      apiUrl: link.api_url,
      ...(token ? { token } : {}),
    });
    try {
      return await pollLink(link, client, this.deps.storage, this.deps.logger);
    } catch (error) {
      const retryAt = isMegaError(error, 'rate_limited')
        ? (error.details.retryAt as string | undefined)
        : undefined;
      const current = await this.deps.storage.github.links.byId(link.id);
      await this.deps.storage.github.links.update(link.id, {
        lastError: isMegaError(error) ? `${error.code}: ${error.message}` : 'internal error',
        ...(retryAt && current
          ? { cursors: JSON.stringify({ ...readCursors(current.cursors), rateLimitedUntil: retryAt }) }
          : {}),
      });
      throw error;
    }
  }

  /** The API token of a sync credential; ssh keys cannot call the API. */
  private async token(credentialId: number): Promise<string> {
    const row = await this.deps.storage.sync.config.credentialWithSecret(credentialId);
    if (!row) throw invalid('credential_not_found', 'credential_id does not name a sync credential');
    if (row.type === 'ssh_key')
      throw invalid(
        'github_credential_unusable',
        'an ssh key cannot call the GitHub API: use a token credential',
      );
    return this.vault.open(row).secret;
  }

  private async importRepository(path: string): Promise<Repository> {
    const normalized = `/${path.replace(/^\/+|\/+$/g, '')}`;
    if (!normalized.startsWith('/import/'))
      throw invalid('github_not_import', 'only repositories under /import can be linked to GitHub', {
        repo: normalized,
      });
    const repository = await this.deps.storage.repositories.find(normalized);
    if (!repository) throw notFound('repository_not_found', 'repository not found', { path: normalized });
    return repository;
  }
}
