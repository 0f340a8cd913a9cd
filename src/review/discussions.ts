import { forbidden, notFound } from '../platform/errors.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import type { PathReader } from '../repo/served-repository.js';
import type { MergeRequestRecord } from '../storage/monorepo/merge-request-store.js';
import type { CommentPosition, CommentRecord } from '../storage/review/comment-store.js';
import { anchorPosition, FileLines, isOutdated, type PositionInput } from './comment-anchor.js';
import { checkCommentBody } from './comment-body.js';
import { isAuthor, OPERATOR, requireVisible, touchedPaths, type Actor } from './merge-gates.js';
import type { ReviewDeps } from './review-deps.js';
import type { MergeRequestAction } from './review-events.js';

/** One comment as clients see it. A deleted comment kept for its replies has `deleted` and no body. */
export interface DiscussionComment {
  readonly id: number;
  /** The thread's first comment (its own id for the first comment). */
  readonly threadId: number;
  readonly body: string;
  readonly deleted: boolean;
  readonly edited: boolean;
  readonly author: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface DiscussionThread {
  readonly id: number;
  /** Absent for a comment on the merge request as a whole. */
  readonly position?: CommentPosition;
  readonly resolved: boolean;
  readonly resolvedBy?: string;
  /** A line comment whose line changed or vanished since (see `isOutdated`); false otherwise. */
  readonly outdated: boolean;
  readonly comments: readonly DiscussionComment[];
}

export interface Discussion {
  readonly threads: readonly DiscussionThread[];
  readonly unresolved: number;
}

/** One row of a merge request's timeline; a `commented` entry carries its comment while it exists. */
export interface TimelineEntry {
  readonly id: number;
  readonly action: string;
  readonly actor: string;
  readonly detail?: string;
  readonly at: string;
  readonly comment?: DiscussionComment;
}

export interface NewThread {
  readonly body: string;
  readonly position?: PositionInput;
}

function commentView(record: CommentRecord): DiscussionComment {
  const deleted = record.body === '';
  return {
    id: record.id,
    threadId: record.threadId ?? record.id,
    body: record.body,
    deleted,
    edited: !deleted && record.updatedAt !== record.createdAt,
    author: record.author,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

function commentNotFound(number: number, id: number) {
  return notFound('comment_not_found', `merge request !${number} has no comment ${id}`);
}

function threadNotFound(number: number, id: number) {
  return notFound('thread_not_found', `merge request !${number} has no discussion ${id}`);
}

function isCommentAuthor(comment: CommentRecord, actor: Actor): boolean {
  if (comment.authorId !== undefined && actor.userId !== undefined) return comment.authorId === actor.userId;
  return comment.author === actor.username;
}

/**
 * Discussions on merge requests: comments on the request and on diff lines (repository, file,
 * side, line), replies, resolve and unresolve. Anyone who can see a merge request may comment on
 * it, whatever its state (merged and closed ones too: a review goes on after a merge). Each
 * comment, resolve and unresolve is a timeline entry, written in the same transaction, and a
 * `merge_request` review event announced after it committed.
 */
export class Discussions {
  constructor(private readonly deps: ReviewDeps) {}

  /** Every thread of a merge request with its comments, outdated flags and the unresolved count. */
  async list(number: number, viewer: PathReader): Promise<Discussion> {
    const request = await this.visible(number, viewer);
    const comments = await this.deps.storage.review.comments.listFor(number);
    const threads = await this.threadsOf(request, comments, this.files());
    return { threads, unresolved: threads.filter((thread) => !thread.resolved).length };
  }

  /** Starts a thread: a comment on the merge request, or on a diff line when `position` is given. */
  async start(number: number, actor: Actor, input: NewThread): Promise<DiscussionThread> {
    const request = await this.visible(number, actor.authority);
    const body = checkCommentBody(input.body);
    const files = this.files();
    const position = input.position ? await anchorPosition(files, request, input.position) : undefined;
    const comment = await this.addComment(request, actor, {
      body,
      ...(position ? { position } : {}),
    });
    return (await this.threadsOf(request, [comment], files))[0] as DiscussionThread;
  }

  /** Replies to a thread; a reply to a reply joins the thread of its first comment. */
  async reply(number: number, threadId: number, actor: Actor, body: string): Promise<DiscussionComment> {
    const request = await this.visible(number, actor.authority);
    checkCommentBody(body);
    const root = await this.threadRoot(number, threadId);
    return commentView(await this.addComment(request, actor, { body, threadId: root.id }));
  }

  async resolve(number: number, threadId: number, actor: Actor): Promise<DiscussionThread> {
    return this.setResolved(number, threadId, actor, true);
  }

  async unresolve(number: number, threadId: number, actor: Actor): Promise<DiscussionThread> {
    return this.setResolved(number, threadId, actor, false);
  }

  /** Changes the body of one's own comment (not of a deleted one). */
  async edit(number: number, commentId: number, actor: Actor, body: string): Promise<DiscussionComment> {
    await this.visible(number, actor.authority);
    checkCommentBody(body);
    const comment = await this.ownComment(number, commentId, actor, 'edit');
    await this.deps.storage.review.comments.setBody(comment.id, body);
    const updated = await this.deps.storage.review.comments.get(comment.id);
    if (!updated) throw commentNotFound(number, commentId);
    return commentView(updated);
  }

  /**
   * Deletes one's own comment. A reply is removed. A thread's first comment becomes a tombstone
   * (`deleted`, empty body): with replies the thread stays, shown with it, and keeps its resolved
   * state (`tombstone`); without, the thread is gone from every list (`removed`). Keeping the
   * row means a reply racing with the delete never loses its thread. Timeline entries stay: a
   * removed reply's without its comment, a first comment's with it marked deleted.
   */
  async remove(
    number: number,
    commentId: number,
    actor: Actor,
  ): Promise<{ readonly id: number; readonly outcome: 'removed' | 'tombstone' }> {
    await this.visible(number, actor.authority);
    const comment = await this.ownComment(number, commentId, actor, 'delete');
    return { id: comment.id, outcome: await this.deps.storage.review.comments.delete(comment.id) };
  }

  /**
   * One page of the timeline, oldest first: every `merge_request_event` row (opened, updated,
   * force-updated, commented, resolved, approved, merged, closed, reopened…), `commented` ones
   * with their comment, read in one more query for the page.
   */
  async timeline(
    number: number,
    viewer: PathReader,
    page: { limit: number; offset: number },
  ): Promise<{ items: TimelineEntry[]; total: number }> {
    await this.visible(number, viewer);
    const comments = this.deps.storage.review.comments;
    const { events, total } = await comments.timeline(number, page);
    const ids = events.filter((event) => event.action === 'commented').map((event) => Number(event.detail));
    const byId = new Map(
      (await comments.getMany(ids.filter((id) => Number.isSafeInteger(id) && id > 0)))
        .filter((comment) => comment.mrNumber === number)
        .map((comment) => [comment.id, commentView(comment)]),
    );
    const items = events.map((event) => {
      const comment = event.action === 'commented' ? byId.get(Number(event.detail)) : undefined;
      return {
        id: event.id,
        action: event.action,
        actor: event.actor,
        ...(event.detail !== undefined ? { detail: event.detail } : {}),
        at: event.at,
        ...(comment ? { comment } : {}),
      };
    });
    return { items, total };
  }

  private async setResolved(
    number: number,
    threadId: number,
    actor: Actor,
    resolved: boolean,
  ): Promise<DiscussionThread> {
    const request = await this.visible(number, actor.authority);
    const root = await this.threadRoot(number, threadId);
    if (!this.mayResolve(request, root, actor)) {
      throw forbidden(
        'resolve_forbidden',
        "resolving a discussion needs to be its author, the merge request's author, or a writer of every path it touches",
      );
    }
    const action: MergeRequestAction = resolved ? 'resolved' : 'unresolved';
    // Resolving a resolved thread changes nothing and records nothing (two reviewers at once).
    const changed = await this.deps.storage.transaction(async (scope) => {
      if (!(await scope.review.comments.setResolved(root.id, resolved, actor.username))) return false;
      await scope.monorepo.mergeRequests.recordEvent(number, {
        action,
        actor: actor.username,
        detail: String(root.id),
      });
      return true;
    });
    if (changed) this.announce(request, action, actor.username);
    const comments = (await this.deps.storage.review.comments.listFor(number)).filter(
      (comment) => comment.id === root.id || comment.threadId === root.id,
    );
    return (await this.threadsOf(request, comments, this.files()))[0] as DiscussionThread;
  }

  /** The thread's author, the merge request's author, or whoever may write every touched path. */
  private mayResolve(request: MergeRequestRecord, root: CommentRecord, actor: Actor): boolean {
    const rights = actor.authority;
    if (rights === OPERATOR) return true;
    if (isCommentAuthor(root, actor) || isAuthor(request, actor)) return true;
    return touchedPaths(request).every((path) => rights.has(path, 'write'));
  }

  private async addComment(
    request: MergeRequestRecord,
    actor: Actor,
    comment: { body: string; threadId?: number; position?: CommentPosition },
  ): Promise<CommentRecord> {
    const added = await this.deps.storage.transaction(async (scope) => {
      const record = await scope.review.comments.add({
        mrNumber: request.number,
        ...comment,
        author: actor.username,
        ...(actor.userId !== undefined ? { authorId: actor.userId } : {}),
      });
      await scope.monorepo.mergeRequests.recordEvent(request.number, {
        action: 'commented',
        actor: actor.username,
        detail: String(record.id),
      });
      return record;
    });
    this.announce(request, 'commented', actor.username);
    return added;
  }

  /** Groups comments into threads (in the order they were started) with their outdated flags. */
  private async threadsOf(
    request: MergeRequestRecord,
    comments: readonly CommentRecord[],
    files: FileLines,
  ): Promise<DiscussionThread[]> {
    const roots = comments.filter((comment) => comment.threadId === undefined);
    const replies = new Map<number, DiscussionComment[]>();
    for (const comment of comments) {
      if (comment.threadId === undefined) continue;
      const list = replies.get(comment.threadId) ?? [];
      list.push(commentView(comment));
      replies.set(comment.threadId, list);
    }
    const threads: DiscussionThread[] = [];
    for (const root of roots) {
      // A deleted first comment without replies is no thread any more.
      if (root.body === '' && !replies.has(root.id)) continue;
      threads.push({
        id: root.id,
        ...(root.position ? { position: root.position } : {}),
        resolved: root.resolved,
        ...(root.resolvedBy !== undefined ? { resolvedBy: root.resolvedBy } : {}),
        outdated: root.position ? await isOutdated(files, request, root.position) : false,
        comments: [commentView(root), ...(replies.get(root.id) ?? [])],
      });
    }
    return threads;
  }

  /** The first comment of the thread `id` names (itself or, for a reply, its thread's). */
  private async threadRoot(number: number, id: number): Promise<CommentRecord> {
    const store = this.deps.storage.review.comments;
    const comment = await store.get(id);
    if (!comment || comment.mrNumber !== number) throw threadNotFound(number, id);
    const root = comment.threadId === undefined ? comment : await store.get(comment.threadId);
    if (!root || root.mrNumber !== number) throw threadNotFound(number, id);
    if (root.body === '' && !(await store.hasReplies(root.id))) throw threadNotFound(number, id);
    return root;
  }

  /** A live comment of this merge request written by `actor` (an operator may act on any). */
  private async ownComment(
    number: number,
    id: number,
    actor: Actor,
    what: 'edit' | 'delete',
  ): Promise<CommentRecord> {
    const comment = await this.deps.storage.review.comments.get(id);
    if (!comment || comment.mrNumber !== number || comment.body === '') throw commentNotFound(number, id);
    if (actor.authority !== OPERATOR && !isCommentAuthor(comment, actor)) {
      throw forbidden('comment_forbidden', `only its author may ${what} a comment`);
    }
    return comment;
  }

  private async visible(number: number, viewer: PathReader | typeof OPERATOR): Promise<MergeRequestRecord> {
    const request = await this.deps.storage.monorepo.mergeRequests.get(number);
    if (!request) throw notFound('merge_request_not_found', `no merge request !${number}`);
    if (viewer !== OPERATOR) requireVisible(viewer, request);
    return request;
  }

  /** A per-request cache of the files line comments are checked against. */
  private files(): FileLines {
    return new FileLines(new ObjectReader(this.deps.monorepo.objects.source));
  }

  /** The same event `MergeRequests.announce` publishes, for discussion actions. */
  private announce(request: MergeRequestRecord, action: MergeRequestAction, actor: string): void {
    this.deps.events.emit({
      type: 'merge_request',
      action,
      number: request.number,
      actor,
      paths: [...new Set([request.viewPath, ...touchedPaths(request)])],
    });
  }
}
