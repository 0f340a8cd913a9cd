import { useEffect, useState, type FormEvent } from 'react';
import { apiUrl, useApi } from '../api';
import { Load } from '../components/status';
import { paths } from '../paths';
import { Link, navigate, useLocation } from '../router';
import { searchPath, type SearchParams } from '../search-path';

interface SearchMatch {
  readonly repository: string;
  readonly path: string;
  readonly line: number;
  readonly text: string;
  readonly highlight: readonly [number, number];
}

interface SearchResult {
  readonly items: readonly SearchMatch[];
  readonly capped: boolean;
  readonly cappedBy?: 'limit' | 'budget';
}

/** Code search across every default branch the reader may read (`GET /api/v1/search`). */
export function SearchPage() {
  const location = useLocation();
  const current: SearchParams = {
    q: location.search.get('q') ?? '',
    regex: location.search.get('regex') === 'true',
    caseSensitive: location.search.get('case') === 'true',
    path: location.search.get('path') ?? '',
  };
  const [form, setForm] = useState(current);
  // The form follows the address (back/forward, the header box).
  const key = location.search.toString();
  useEffect(() => setForm(current), [key]);
  useEffect(() => {
    document.title = current.q ? `${current.q} · Search · Mega` : 'Search · Mega';
  }, [current.q]);

  const url = current.q
    ? apiUrl('search', {
        q: current.q,
        regex: current.regex ? 'true' : undefined,
        case: current.caseSensitive ? 'true' : undefined,
        path: current.path || undefined,
      })
    : undefined;
  const result = useApi<SearchResult>(url);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (form.q.trim() !== '') navigate(searchPath(form));
  };
  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">Search code</h1>
      <form className="search-form" role="search" onSubmit={submit} aria-label="Search options">
        <label className="search-query">
          Query{' '}
          <input
            type="search"
            value={form.q}
            onChange={(event) => setForm({ ...form, q: event.target.value })}
            maxLength={1000}
            required
            autoFocus
          />
        </label>
        <label>
          Path{' '}
          <input
            value={form.path}
            placeholder="/projects/foo/src"
            onChange={(event) => setForm({ ...form, path: event.target.value })}
            maxLength={1024}
          />
        </label>
        <label>
          <input
            type="checkbox"
            checked={form.regex}
            onChange={(event) => setForm({ ...form, regex: event.target.checked })}
          />{' '}
          Regex
        </label>
        <label>
          <input
            type="checkbox"
            checked={form.caseSensitive}
            onChange={(event) => setForm({ ...form, caseSensitive: event.target.checked })}
          />{' '}
          Match case
        </label>
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      {url ? (
        <Load value={{ ...result }} render={(data) => <Results result={data} />} />
      ) : (
        <p className="muted">
          Literal text (3 characters or more) or a regex, over the default branch of every repository you may
          read. A path narrows the search to a repository or a directory.
        </p>
      )}
    </section>
  );
}

function Results({ result }: { result: SearchResult }) {
  if (result.items.length === 0) return <p role="status">No matches.</p>;
  const files = new Map<string, SearchMatch[]>();
  for (const match of result.items) {
    const key = `${match.repository}\0${match.path}`;
    files.set(key, [...(files.get(key) ?? []), match]);
  }
  return (
    <>
      <p role="status" className="muted">
        {result.items.length} matching line{result.items.length === 1 ? '' : 's'}
        {result.capped &&
          (result.cappedBy === 'budget'
            ? ' (the search stopped early: narrow it with a path or a longer query)'
            : ' (more may exist: refine the query)')}
      </p>
      {[...files.values()].map((matches) => {
        const first = matches[0]!;
        return (
          <article className="search-file" key={`${first.repository}:${first.path}`}>
            <h2>
              <Link to={paths.blob(first.repository, 'HEAD', first.path)}>
                {first.repository === '/' ? '' : first.repository}/{first.path}
              </Link>
            </h2>
            <ol className="search-lines">
              {matches.map((match) => (
                <li key={match.line}>
                  <Link
                    className="search-line-number"
                    to={`${paths.blob(match.repository, 'HEAD', match.path)}#L${match.line}`}
                    aria-label={`line ${match.line}`}
                  >
                    {match.line}
                  </Link>
                  <code>
                    {match.text.slice(0, match.highlight[0])}
                    <mark>{match.text.slice(match.highlight[0], match.highlight[1])}</mark>
                    {match.text.slice(match.highlight[1])}
                  </code>
                </li>
              ))}
            </ol>
          </article>
        );
      })}
    </>
  );
}
