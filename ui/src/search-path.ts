import { BASE } from './router';

export interface SearchParams {
  readonly q: string;
  readonly regex: boolean;
  readonly caseSensitive: boolean;
  readonly path: string;
}

/**
 * The UI address of a search (what the header box and the search form navigate to). Its own
 * module: the header needs it on every page, the search page is loaded only when opened.
 */
export function searchPath(params: Partial<SearchParams> & { q: string }): string {
  const query = new URLSearchParams({ q: params.q });
  if (params.regex) query.set('regex', 'true');
  if (params.caseSensitive) query.set('case', 'true');
  if (params.path) query.set('path', params.path);
  return `${BASE}/search?${query.toString()}`;
}
