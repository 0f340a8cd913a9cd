/**
 * Classification of a failed git command from its stderr, and the retry policy per class.
 * Patterns follow the messages of git 2.3x, libcurl (git-remote-https) and OpenSSH; the first
 * matching class wins, so the specific ones (host key, TLS, auth) come before the generic network
 * ones ("Could not read from remote repository" follows almost every SSH failure).
 */
export const ERROR_CLASSES = [
  'auth',
  'not_found',
  'ref_not_found',
  'host_key',
  'tls',
  'network',
  'disk',
  'timeout',
  'unknown',
] as const;

export type SyncErrorClass = (typeof ERROR_CLASSES)[number];

const PATTERNS: ReadonlyArray<readonly [SyncErrorClass, RegExp]> = [
  [
    'host_key',
    /host key verification failed|remote host identification has changed|no \S+ host key is known for|host key for .* has changed/i,
  ],
  [
    'tls',
    /ssl certificate problem|server certificate verification failed|ssl_connect|gnutls_handshake|unable to get local issuer certificate|certificate verify failed|tls connect error|openssl ssl_read/i,
  ],
  [
    'disk',
    /no space left on device|disk quota exceeded|read-only file system|unable to create temporary file|could not create work tree dir|cannot mkdir/i,
  ],
  [
    'auth',
    /authentication failed|could not read (username|password)|terminal prompts disabled|permission denied \((publickey|password|keyboard)|access denied|returned error: 40[13]\b|invalid username or password|http basic: access denied|too many authentication failures/i,
  ],
  [
    'ref_not_found',
    /remote branch .* not found in upstream|couldn't find remote ref|could not find remote branch|no such ref was fetched/i,
  ],
  [
    'not_found',
    /repository .* not found|repository not found|does not appear to be a git repository|returned error: 404\b|not a git repository|no such repository/i,
  ],
  [
    'network',
    /could not resolve (host|hostname|proxy)|failed to connect to|connection refused|connection timed out|operation timed out|connection reset|network is unreachable|no route to host|early eof|remote end hung up unexpectedly|rpc failed|empty reply from server|returned error: 5\d\d\b|recv failure|send failure|proxy connect aborted|received http code \d+ from proxy|temporary failure in name resolution|connection closed by (remote host|\S+ port)|broken pipe/i,
  ],
];

/** The class of a failure; `timedOut` (killed by the runner's deadline) overrides the text. */
export function classifyGitFailure(stderr: string, options: { timedOut?: boolean } = {}): SyncErrorClass {
  if (options.timedOut) return 'timeout';
  for (const [errorClass, pattern] of PATTERNS) if (pattern.test(stderr)) return errorClass;
  return 'unknown';
}

/** Transient failures worth another attempt (seed §5.1); everything else fails at once. */
export function isRetryable(errorClass: SyncErrorClass): boolean {
  return errorClass === 'network' || errorClass === 'timeout';
}
