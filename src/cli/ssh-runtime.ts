import type { Logger } from '../platform/logger.js';
import { loadHostKeys } from '../ssh/host-keys.js';
import { LfsSshTokens } from '../ssh/lfs-ssh-token.js';
import { startSshServer, type SshServer } from '../ssh/ssh-server.js';
import type { App } from './app.js';

/**
 * Starts git over SSH on the app's services: the same resolver, access policy, push guard, pack
 * cache and review events as smart HTTP, so both transports serve the same paths by the same
 * rules. Host keys come from the deployment secret and the database (`src/ssh/host-keys.ts`);
 * their fingerprints are logged so an operator can publish them.
 */
export async function startSsh(
  app: App,
  logger: Logger,
  baseUrl: string,
  host: string,
  port: number,
): Promise<SshServer> {
  const hostKeys = await loadHostKeys(app.installation.secret, app.storage.ssh);
  for (const key of hostKeys)
    logger.info({ algorithm: key.algorithm, fingerprint: key.fingerprint }, 'ssh host key');
  const web = app.web;
  return startSshServer(
    {
      logger,
      metrics: web.metrics,
      keys: app.storage.ssh,
      hostKeys,
      access: web.access,
      pushGuard: web.pushGuard,
      repositories: web.repositories,
      packCache: web.packCache,
      walkRecorder: web.walkRecorder,
      gitRequests: web.gitRequests,
      events: web.review.events,
      limits: app.config.limits,
      tokens: new LfsSshTokens(app.installation.secret),
      lfs: web.lfs,
      baseUrl: () => baseUrl,
    },
    host,
    port,
  );
}
