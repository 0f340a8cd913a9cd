import { useEffect } from 'react';
import { paths } from './paths';

const TARGETS: Readonly<Record<string, () => string>> = {
  d: () => paths.directory('/'),
  m: () => paths.mergeRequests(),
  s: () => paths.sync(),
};

/** GitHub-style two-key shortcuts: `g d`, `g m`, `g s`. Ignored while typing in a field. */
export function useKeyboardShortcuts(go: (to: string) => void): void {
  useEffect(() => {
    let pendingG = false;
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      if (pendingG && TARGETS[event.key]) {
        go(TARGETS[event.key]!());
        pendingG = false;
        return;
      }
      pendingG = event.key === 'g';
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [go]);
}
