import { createContext, useContext, useState, type FormEvent } from 'react';
import { deleteComment, editComment, replyTo, setResolved, startThread } from '../mr-api';
import { paths } from '../paths';
import { Link } from '../router';
import type { DiscussionComment, DiscussionThread, LinePosition } from '../types';
import { MutationStatus, useMutation } from './mutation';

/** A comment body as written: plain text, line breaks kept (Markdown comes later). */
export function CommentBody({ comment }: { comment: DiscussionComment }) {
  if (comment.deleted) return <p className="muted comment-body">(deleted)</p>;
  return <p className="comment-body">{comment.body}</p>;
}

/** The signed-in reader's name: their own comments get Edit and Delete. */
export const ViewerName = createContext<string | undefined>(undefined);

function CommentView(props: { number: number; comment: DiscussionComment; onChanged: () => void }) {
  const { number, comment, onChanged } = props;
  const viewer = useContext(ViewerName);
  const [editing, setEditing] = useState(false);
  const mutation = useMutation();
  const at = new Date(comment.createdAt);
  const remove = async () => {
    if (!window.confirm('Delete this comment?')) return;
    if (await mutation.run(() => deleteComment(number, comment.id))) onChanged();
  };
  return (
    <li className="comment" data-testid="comment" id={`comment-${comment.id}`}>
      <div className="comment-meta">
        <strong>{comment.author}</strong>{' '}
        <time className="muted small" dateTime={comment.createdAt} title={at.toISOString()}>
          {at.toLocaleString()}
        </time>
        {comment.edited && <span className="muted small"> · edited</span>}
        {viewer === comment.author && !comment.deleted && !editing && (
          <span className="comment-tools">
            <button type="button" className="link-button" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button
              type="button"
              className="link-button"
              disabled={mutation.busy}
              onClick={() => void remove()}
            >
              Delete
            </button>
          </span>
        )}
      </div>
      {editing ? (
        <CommentForm
          label="Save"
          initial={comment.body}
          submit={(body) => editComment(number, comment.id, body)}
          onDone={() => {
            setEditing(false);
            onChanged();
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <CommentBody comment={comment} />
      )}
      <MutationStatus mutation={mutation} />
    </li>
  );
}

/** Where a line thread points, for a thread shown away from its line (the overview). */
export function positionLabel(position: LinePosition): string {
  return `${position.repoPath}/${position.path} (${position.side} line ${position.line})`;
}

interface ThreadProps {
  number: number;
  thread: DiscussionThread;
  signedIn: boolean;
  onChanged: () => void;
  /** Shown on the overview: the file and line the thread is on. */
  showPosition?: boolean;
}

/** A thread: its comments, a reply box, resolve/unresolve, and an outdated badge. */
export function ThreadView({ number, thread, signedIn, onChanged, showPosition }: ThreadProps) {
  const mutation = useMutation();
  const [replying, setReplying] = useState(false);
  const toggleResolved = async () => {
    if (await mutation.run(() => setResolved(number, thread.id, !thread.resolved))) onChanged();
  };
  return (
    <section
      className={`thread${thread.resolved ? ' resolved' : ''}`}
      data-testid="thread"
      aria-label={`Discussion ${thread.id}`}
    >
      <div className="thread-head">
        {thread.position && (
          <span className="small muted">
            {showPosition ? (
              <code>{positionLabel(thread.position)}</code>
            ) : (
              `${thread.position.side} line ${thread.position.line}`
            )}
          </span>
        )}
        {thread.outdated && (
          <span className="badge outdated" title="The line changed since this comment was made">
            outdated
          </span>
        )}
        {thread.resolved && (
          <span className="badge resolved-badge">
            resolved{thread.resolvedBy ? ` by ${thread.resolvedBy}` : ''}
          </span>
        )}
      </div>
      <ol className="comments">
        {thread.comments.map((comment) => (
          <CommentView key={comment.id} number={number} comment={comment} onChanged={onChanged} />
        ))}
      </ol>
      {signedIn && (
        <div className="thread-actions">
          {replying ? (
            <CommentForm
              label="Reply"
              submit={(body) => replyTo(number, thread.id, body)}
              onDone={() => {
                setReplying(false);
                onChanged();
              }}
              onCancel={() => setReplying(false)}
            />
          ) : (
            <>
              <button type="button" onClick={() => setReplying(true)}>
                Reply
              </button>
              <button type="button" disabled={mutation.busy} onClick={() => void toggleResolved()}>
                {thread.resolved ? 'Unresolve' : 'Resolve'}
              </button>
            </>
          )}
        </div>
      )}
      <MutationStatus mutation={mutation} />
    </section>
  );
}

interface CommentFormProps {
  label: string;
  /** The text to start from (editing a comment). */
  initial?: string;
  submit: (body: string) => Promise<unknown>;
  onDone: () => void;
  onCancel?: () => void;
}

/** A text box and its buttons; the body is kept on failure so nothing typed is lost. */
export function CommentForm({ label, initial = '', submit, onDone, onCancel }: CommentFormProps) {
  const [body, setBody] = useState(initial);
  const mutation = useMutation();
  const send = async (event: FormEvent) => {
    event.preventDefault();
    if (await mutation.run(() => submit(body))) {
      setBody('');
      onDone();
    }
  };
  return (
    <form className="comment-form" onSubmit={(event) => void send(event)}>
      <label>
        <span className="visually-hidden">{label}</span>
        <textarea
          value={body}
          onChange={(event) => setBody(event.target.value)}
          rows={3}
          placeholder="Write a comment (plain text)"
          aria-label={initial ? 'Edit comment' : label}
          // A line comment's form opens where the reader clicked: typing can start at once.
          autoFocus={onCancel !== undefined}
        />
      </label>
      <div className="actions">
        <button type="submit" className="primary" disabled={mutation.busy || body.trim() === ''}>
          {label}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      <MutationStatus mutation={mutation} />
    </form>
  );
}

/** The form that starts a thread on one line (shown under the line). */
export function NewLineThread(props: {
  number: number;
  position: Omit<LinePosition, 'commitId'>;
  onDone: () => void;
  onCancel: () => void;
}) {
  const { number, position } = props;
  return (
    <section className="thread draft" aria-label={`New comment on ${position.side} line ${position.line}`}>
      <CommentForm
        label="Comment"
        submit={(body) => startThread(number, body, position)}
        onDone={props.onDone}
        onCancel={props.onCancel}
      />
    </section>
  );
}

export function SignInToComment() {
  return (
    <p className="muted">
      <Link to={paths.signIn()}>Sign in</Link> to comment.
    </p>
  );
}
