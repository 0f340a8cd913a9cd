import { FSCK_MESSAGE_DEFAULTS, type FsckMessageId } from '../platform/fsck-message-ids.js';

export type { FsckMessageId } from '../platform/fsck-message-ids.js';

/**
 * Which fsck findings refuse an object (git fsck.c `fsck_msg_type`): `strict` turns warnings
 * into errors (index-pack --strict, receive.fsckObjects); `ignore` silences single ids, like
 * `receive.fsck.<id>=ignore` (fatal ids cannot be ignored; configuration refuses them).
 */
export interface FsckPolicy {
  readonly strict: boolean;
  readonly ignore: ReadonlySet<string>;
}

/** What receive-pack enforces by default. */
export const STRICT_FSCK: FsckPolicy = { strict: true, ignore: new Set() };

/** One reported problem, as git prints it: `object <id>: <id>: <message>`. */
export interface FsckFinding {
  readonly id: FsckMessageId;
  /** `error` refuses the object; `warning` is only printed. */
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

/** The severity `id` is reported with under `policy`, or undefined when it is not reported. */
export function reportedSeverity(id: FsckMessageId, policy: FsckPolicy): 'error' | 'warning' | undefined {
  const base = FSCK_MESSAGE_DEFAULTS[id];
  if (base === 'fatal') return 'error';
  if (base === 'ignore' || policy.ignore.has(id)) return undefined;
  if (base === 'error') return 'error';
  if (base === 'warn') return policy.strict ? 'error' : 'warning';
  return 'warning';
}

/**
 * Appends a finding to `out` (unless ignored); true when it is an error, which is where git's
 * checks of one object stop (its `report()` returning non-zero).
 */
export function report(out: FsckFinding[], policy: FsckPolicy, id: FsckMessageId, message: string): boolean {
  const severity = reportedSeverity(id, policy);
  if (severity === undefined) return false;
  out.push({ id, severity, message: `${id}: ${message}` });
  return severity === 'error';
}

export function hasErrors(findings: readonly FsckFinding[]): boolean {
  return findings.some((finding) => finding.severity === 'error');
}
