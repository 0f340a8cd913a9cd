import { apiUrl, useApi } from '../api';
import type { BlobView } from '../types';

/** A README found in a listing: which repository, revision and path to read it from. */
export interface ReadmeFile {
  readonly name: string;
  readonly repo: string;
  readonly ref: string;
  readonly path: string;
}

/** Shows the README under a listing; nothing while it loads, or when there is none. */
export function ReadmePanel({ file }: { file: ReadmeFile | undefined }) {
  const blob = useApi<BlobView>(
    file ? apiUrl('repos/blob', { repo: file.repo, ref: file.ref, path: file.path }) : undefined,
  );
  if (!file || blob.state !== 'ready' || blob.data.content === undefined) return null;
  return (
    <section className="readme" aria-label={file.name}>
      <h2>{file.name}</h2>
      <pre>{blob.data.content}</pre>
    </section>
  );
}
