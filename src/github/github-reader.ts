import { notFound } from '../platform/errors.js';
import type { GithubService } from './github-service.js';
import type { GithubStorage } from './github-storage.js';
import {
  commentView,
  issueView,
  linkView,
  pullRequestView,
  type CommentView,
  type IssueView,
  type LinkView,
  type PullRequestView,
} from './github-views.js';

/** A window of a list, newest number first. */
export interface ReadPage {
  readonly state?: 'open' | 'closed';
  readonly offset: number;
  readonly limit: number;
}

/** What our own storage holds of a pull request's commits (the mirror's `refs/pull/N/head`). */
export interface MirrorView {
  /** `refs/pull/N/head` */
  readonly ref: string;
  /** Its commit in our storage, or null when the mirror does not hold the ref. */
  readonly head: string | null;
  /** A revision to compare against: the base commit when we hold it, else the base branch. */
  readonly base: string | null;
}

/**
 * Read-only views of the issues and pull requests of a linked /import repository (REST and the
 * web UI). Callers check read access on the path first; an unlinked repository is 404.
 */
export class GithubReader {
  constructor(
    private readonly storage: GithubStorage,
    private readonly service: GithubService,
  ) {}

  async issues(repoPath: string, page: ReadPage): Promise<{ link: LinkView; issues: IssueView[] }> {
    const link = await this.service.linkOf(repoPath);
    const { issues } = this.storage.github;
    const rows = await issues.listIssues(link.repo_id, windowOf(page));
    const labels = await issues.labels(
      link.repo_id,
      rows.map((row) => Number(row.number)),
    );
    return {
      link: linkView(link),
      issues: rows.map((row) => issueView(row, labels.get(Number(row.number)) ?? [])),
    };
  }

  async issue(repoPath: string, number: number): Promise<{ issue: IssueView; comments: CommentView[] }> {
    const link = await this.service.linkOf(repoPath);
    const { issues } = this.storage.github;
    const row = await issues.issue(link.repo_id, number);
    if (!row) throw notFound('github_issue_not_found', 'no such issue', { number });
    const labels = (await issues.labels(link.repo_id, [number])).get(number) ?? [];
    return {
      issue: issueView(row, labels),
      comments: (await issues.comments(link.repo_id, number)).map(commentView),
    };
  }

  async pulls(repoPath: string, page: ReadPage): Promise<{ link: LinkView; pulls: PullRequestView[] }> {
    const link = await this.service.linkOf(repoPath);
    const { issues } = this.storage.github;
    const rows = await issues.listPullRequests(link.repo_id, windowOf(page));
    const labels = await issues.labels(
      link.repo_id,
      rows.map((row) => Number(row.number)),
    );
    return {
      link: linkView(link),
      pulls: rows.map((row) => pullRequestView(row, labels.get(Number(row.number)) ?? [])),
    };
  }

  async pull(
    repoPath: string,
    number: number,
  ): Promise<{ pull: PullRequestView; comments: CommentView[]; mirror: MirrorView }> {
    const link = await this.service.linkOf(repoPath);
    const { issues } = this.storage.github;
    const row = await issues.pullRequest(link.repo_id, number);
    if (!row) throw notFound('github_pull_request_not_found', 'no such pull request', { number });
    const labels = (await issues.labels(link.repo_id, [number])).get(number) ?? [];
    const ref = `refs/pull/${number}/head`;
    const head = await this.storage.refs.get(link.repo_id, ref);
    let base: string | null = null;
    if (head) {
      const baseBranch = await this.storage.refs.get(link.repo_id, `refs/heads/${row.base_ref}`);
      const held =
        row.base_sha !== null && (await this.storage.objects.has(link.repo_id, [row.base_sha])).size > 0;
      base = held ? row.base_sha : baseBranch ? `refs/heads/${row.base_ref}` : null;
    }
    return {
      pull: pullRequestView(row, labels),
      comments: (await issues.comments(link.repo_id, number)).map(commentView),
      mirror: { ref, head: head ?? null, base },
    };
  }
}

function windowOf(page: ReadPage) {
  return {
    ...(page.state ? { state: page.state } : {}),
    limit: page.limit,
    offset: page.offset,
  };
}
