import { ApiError, apiUrl, useApi } from '../api';
import { useSignedIn } from '../current-user';
import type { PathSettings } from '../types';
import { AccessGrants } from './access-grants';
import { DeployKeys } from './deploy-keys';
import { PathSettingsForm } from './path-settings-form';
import { ProtectedBranches } from './protected-branches';
import { ReviewRulesForm } from './review-rules-form';
import { ErrorBox } from './status';

/** Refusals that mean "not an administrator of this path": the panel is then not shown at all. */
const NOT_ADMIN = new Set([401, 403, 404]);

/**
 * Who may do what at a path (`mega access …`): grants at and below it, its deploy keys, its
 * visibility and self-merge rule, its review rules (required approvals and checks), and a repository's
 * protected branches. Shown only to whoever has `admin` on
 * the path, which the settings request itself answers (403 otherwise).
 */
export function AccessPanel({ path, repository }: { path: string; repository?: boolean }) {
  const signedIn = useSignedIn();
  const settings = useApi<PathSettings>(signedIn ? apiUrl('access/paths', { path }) : undefined);
  if (!signedIn || settings.state === 'loading') return null;
  if (settings.state === 'error') {
    const error = settings.error;
    return error instanceof ApiError && NOT_ADMIN.has(error.status) ? null : <ErrorBox error={error} />;
  }
  return (
    <details className="access-panel">
      <summary>Access</summary>
      <AccessGrants path={path} />
      <DeployKeys path={path} />
      <PathSettingsForm settings={settings.data} />
      <ReviewRulesForm path={path} />
      {repository && <ProtectedBranches repo={path} />}
    </details>
  );
}
