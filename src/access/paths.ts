/**
 * Paths of the Mega directory as permissions see them: `/`, `/projects`, `/projects/team-a/app`
 * (normalised by the caller: leading `/`, no trailing `/`, no `.git`). A path is within itself
 * and within every ancestor; `/projects/a` is not within `/projects/ab`.
 */
export function isWithin(path: string, ancestor: string): boolean {
  if (ancestor === '/') return true;
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

/** The parent path (`/projects/a` → `/projects`, `/projects` → `/`); `/` has none. */
export function parentOf(path: string): string | undefined {
  if (path === '/') return undefined;
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}
