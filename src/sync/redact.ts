/**
 * Redaction by the secret values themselves (not by field names): every text that leaves a git
 * process (output, error messages, log rows) passes through a `Redactor` holding the exact secrets
 * of that run and the encodings git or curl could print them in.
 */
export const REDACTED = '[redacted]';

/** Secrets shorter than this are not searched for: a 1–3 character "secret" would shred the text. */
const MIN_SECRET_LENGTH = 4;

export class Redactor {
  private readonly needles: readonly string[];

  constructor(secrets: Iterable<string>) {
    const variants = new Set<string>();
    for (const secret of secrets) {
      if (secret.length < MIN_SECRET_LENGTH) continue;
      variants.add(secret);
      variants.add(encodeURIComponent(secret));
      variants.add(Buffer.from(secret, 'utf8').toString('base64'));
    }
    // Longest first, so a secret containing another is replaced whole.
    this.needles = [...variants]
      .filter((v) => v.length >= MIN_SECRET_LENGTH)
      .sort((a, b) => b.length - a.length);
  }

  static none(): Redactor {
    return new Redactor([]);
  }

  redact(text: string): string {
    let out = text;
    for (const needle of this.needles) out = out.split(needle).join(REDACTED);
    return out;
  }

  /** A redactor knowing this one's secrets plus more. */
  with(secrets: Iterable<string>): Redactor {
    return new Redactor([...this.needles, ...secrets]);
  }
}

/**
 * Keeps at most `maxBytes` of text, cutting at a line boundary so no partial secret (secrets never
 * contain a newline) survives at the cut; `keep` says which end matters (git puts the error last).
 */
export function truncateText(text: string, maxBytes: number, keep: 'head' | 'tail' = 'tail'): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const marker = '[… truncated …]\n';
  if (keep === 'tail') {
    const cut = Buffer.from(text, 'utf8').subarray(-maxBytes).toString('utf8');
    const newline = cut.indexOf('\n');
    return marker + (newline >= 0 ? cut.slice(newline + 1) : '');
  }
  const cut = Buffer.from(text, 'utf8').subarray(0, maxBytes).toString('utf8');
  const newline = cut.lastIndexOf('\n');
  return (newline >= 0 ? cut.slice(0, newline + 1) : '') + marker;
}
