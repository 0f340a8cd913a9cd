import type { MergeRequestRecord } from '../../storage/monorepo/merge-request-store.js';
import type { MergeRequestAction, ReviewEvent } from '../review-events.js';
import type { WebhookEventName } from './webhook-input.js';

/** One delivery's content, before it is matched to webhooks. */
export interface WebhookMessage {
  readonly event: WebhookEventName;
  /** The paths a webhook's path must contain one of (a webhook on `/projects` gets `/projects/…`). */
  readonly paths: readonly string[];
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface PayloadSources {
  /** The server's base URL (links in payloads). */
  readonly baseUrl: string;
  readonly mergeRequest: (number: number) => Promise<MergeRequestRecord | undefined>;
  /** The link and summary a posted status carries (the event names only its state). */
  readonly status: (
    repoPath: string,
    commit: string,
    context: string,
  ) => Promise<{ readonly targetUrl?: string; readonly description?: string }>;
}

/** Merge request actions that are their own webhook event (the rest are `merge_request`). */
const EVENT_OF_ACTION: Partial<Record<MergeRequestAction, WebhookEventName>> = {
  commented: 'comment',
  approved: 'approval',
  unapproved: 'approval',
};

/**
 * The webhook messages of one review event (payload shapes: docs/webhooks.md). A push becomes
 * one message per ref, as GitHub sends them; a merge request that no longer exists sends none.
 */
export async function messagesOf(event: ReviewEvent, sources: PayloadSources): Promise<WebhookMessage[]> {
  const repository = (path: string) => ({ path, url: `${sources.baseUrl}${path}` });
  switch (event.type) {
    case 'push':
      return event.refs.map((ref) => ({
        event: 'push',
        paths: [event.repoPath],
        payload: {
          repository: repository(event.repoPath),
          ref: ref.name,
          before: ref.before,
          after: ref.after,
          created: /^0+$/.test(ref.before),
          deleted: /^0+$/.test(ref.after),
          pusher: event.actor,
        },
      }));
    case 'merge_request': {
      const record = await sources.mergeRequest(event.number);
      if (!record) return [];
      return [
        {
          event: EVENT_OF_ACTION[event.action] ?? 'merge_request',
          paths: event.paths,
          payload: {
            action: event.action,
            sender: event.actor,
            mergeRequest: {
              number: record.number,
              title: record.title,
              status: record.status,
              url: `${sources.baseUrl}/ui/merge-requests/${record.number}`,
              author: record.author,
              viewPath: record.viewPath,
              ...(record.refName ? { ref: record.refName } : {}),
              paths: event.paths,
              repositories: record.changes.map((change) => ({
                path: change.repoPath,
                base: change.baseCommit,
                head: change.headCommit,
              })),
            },
          },
        },
      ];
    }
    case 'status': {
      const details = await sources.status(event.repoPath, event.commit, event.context);
      return [
        {
          event: 'status',
          paths: [event.repoPath],
          payload: {
            repository: repository(event.repoPath),
            sha: event.commit,
            context: event.context,
            state: event.state,
            ...details,
            sender: event.actor,
          },
        },
      ];
    }
  }
}
