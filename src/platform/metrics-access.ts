import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Who may read `/metrics`: anyone when no metrics token is configured (scrapers on a private
 * network, as before), else only a request carrying `Authorization: Bearer <MEGA_METRICS_TOKEN>`
 * (Prometheus' `authorization` / `bearer_token_file` scrape settings). The comparison takes the
 * same time whatever the presented value, and the token is compared as a hash so its length
 * leaks nothing either.
 */
export function metricsAllowed(
  configuredToken: string | undefined,
  authorization: string | undefined,
): boolean {
  if (!configuredToken) return true;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(match[1]), digest(configuredToken));
}

/** The challenge a refused scrape gets. */
export const METRICS_CHALLENGE = 'Bearer realm="mega-metrics"';
