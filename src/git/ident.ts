import { invalid } from '../platform/errors.js';

/** A person line of a commit or tag: `Name <email> 1700000000 +0100` (git-commit-tree DATE FORMATS). */
export interface Ident {
  readonly name: string;
  readonly email: string;
  /** Seconds since the epoch. */
  readonly timestamp: number;
  /** As written, e.g. `+0100`. */
  readonly timezone: string;
}

const IDENT = /^(.*?) ?<([^<>]*)> (\d+) ([+-]\d{4})$/;

/** Parses an ident; throws `object_bad_ident`. Use `checkIdent` for a finding instead. */
export function parseIdent(text: string): Ident {
  const match = IDENT.exec(text);
  if (!match) throw invalid('object_bad_ident', 'malformed author/committer/tagger line');
  return {
    name: match[1] ?? '',
    email: match[2] ?? '',
    timestamp: Number(match[3]),
    timezone: match[4] ?? '+0000',
  };
}

export function formatIdent(ident: Ident): string {
  return `${ident.name} <${ident.email}> ${ident.timestamp} ${ident.timezone}`;
}

/** The fsck message id for a bad ident, or undefined when it is well formed (fsck.c fsck_ident). */
export function checkIdent(text: string): string | undefined {
  const lt = text.indexOf('<');
  if (lt < 0) return 'missingEmail';
  if (lt === 0 || text[lt - 1] !== ' ') return 'missingSpaceBeforeEmail';
  if (/[<>\n]/.test(text.slice(0, lt - 1))) return 'badName';
  const gt = text.indexOf('>', lt + 1);
  if (gt < 0 || text.slice(lt + 1, gt).includes('<')) return 'badEmail';
  const rest = text.slice(gt + 1);
  if (!rest.startsWith(' ')) return 'missingSpaceBeforeDate';
  const date = /^ (\d+) ([+-]\d{4})$/.exec(rest);
  if (!date) return /^ \d/.test(rest) ? 'badTimezone' : 'badDate';
  if (date[1]!.length > 1 && date[1]!.startsWith('0')) return 'zeroPaddedDate';
  if (!Number.isSafeInteger(Number(date[1]))) return 'badDateOverflow';
  return undefined;
}

/**
 * The seconds of an ident's date, 0 when it has none (git accepts such commits): what storage
 * keeps as a commit's time and what walks order commits by. Lenient where `parseIdent` is
 * strict: a bad timezone or a missing one still gives the seconds.
 */
export function identSeconds(ident: string): number {
  const match = /> (\d{1,15}) [+-]\d{4}$/.exec(ident) ?? /> (\d{1,15})/.exec(ident);
  return match ? Number(match[1]) : 0;
}
