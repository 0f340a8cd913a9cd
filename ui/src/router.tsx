import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

/** The SPA lives under this prefix; `mega serve` answers every path below it with index.html. */
export const BASE = '/ui';

/** Client-side navigation without reloading: pushes history and notifies listeners. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export interface Location {
  readonly pathname: string;
  readonly search: URLSearchParams;
  readonly hash: string;
}

function current(): Location {
  return {
    pathname: window.location.pathname,
    search: new URLSearchParams(window.location.search),
    hash: window.location.hash,
  };
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return location;
}

/** An `<a>` that navigates in-app on a plain left click and behaves normally otherwise. */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string; children?: ReactNode }) {
  const { to, onClick, ...rest } = props;
  const click = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    ) {
      return;
    }
    event.preventDefault();
    navigate(to);
    window.scrollTo(0, 0);
  };
  return <a href={to} onClick={click} {...rest} />;
}
