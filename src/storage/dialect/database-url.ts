import { resolve } from 'node:path';
import { invalid } from '../../platform/errors.js';

/** A parsed `MEGA_DATABASE_URL`. */
export type DatabaseLocation =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly database: string }
  | { readonly kind: 'mysql'; readonly url: string; readonly database: string };

/**
 * `sqlite:PATH` (relative paths resolve against the working directory; `sqlite::memory:` for an
 * in-memory database), `postgres://…` / `postgresql://…`, `mysql://…` / `mariadb://…`.
 */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw invalid('database_url_invalid', 'sqlite URL needs a path');
    return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('database_url_invalid', 'database URL is not a URL', { scheme: url.split(':')[0] });
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:') {
    return { kind: 'postgres', url, database };
  }
  if (parsed.protocol === 'mysql:' || parsed.protocol === 'mariadb:') {
    parsed.protocol = 'mysql:';
    return { kind: 'mysql', url: parsed.toString(), database };
  }
  throw invalid('database_url_invalid', 'unsupported database URL scheme', {
    scheme: parsed.protocol.replace(/:$/, ''),
  });
}

/** The URL with any password replaced, for logs and error messages. */
export function redactDatabaseUrl(url: string): string {
  if (url.startsWith('sqlite:')) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable database url>';
  }
}
