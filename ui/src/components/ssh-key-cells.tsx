import { TimeAgo } from './status';

/**
 * The cells every list of SSH keys shows the same way (user keys, deploy keys): the OpenSSH
 * `SHA256:` fingerprint, when the key was added and when it was last used.
 */
export function SshKeyCells({
  fingerprint,
  createdAt,
  lastUsedAt,
}: {
  fingerprint: string;
  createdAt: string;
  lastUsedAt?: string | null | undefined;
}) {
  return (
    <>
      <td className="wrap-anywhere">
        <code>{fingerprint}</code>
      </td>
      <td>
        <TimeAgo seconds={Date.parse(createdAt) / 1000} />
      </td>
      <td>
        {lastUsedAt ? (
          <TimeAgo seconds={Date.parse(lastUsedAt) / 1000} />
        ) : (
          <span className="muted">never</span>
        )}
      </td>
    </>
  );
}
