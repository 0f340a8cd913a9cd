import { apiUrl, useApi } from '../api';
import type { BlobView } from '../types';
import { isMarkdownPath } from './blob-content';
import { MarkdownView } from './markdown-view';

/** A README found in a listing: which repository, revision and path to read it from. */
export interface ReadmeFile {
  readonly name: string;
  readonly repo: string;
  readonly ref: string;
  readonly path: string;
}

/** Shows the README under a listing (Markdown rendered); nothing while it loads, or when there is none. */
export function ReadmePanel({ file }: { file: ReadmeFile | undefined }) {
  const blob = useApi<BlobView>(
    file ? apiUrl('repos/blob', { repo: file.repo, ref: file.ref, path: file.path }) : undefined,
  );
  if (!file || blob.state !== 'ready' || blob.data.content === undefined) return null;
  const { content, commit } = blob.data;
  return (
    <section className="readme" aria-label={file.name}>
      <h2 className="readme-title">{file.name}</h2>
      {isMarkdownPath(file.name) ? (
        <MarkdownView
          text={content}
          source={{ repo: file.repo, ref: file.ref, commit, path: file.path, headingShift: 2 }}
        />
      ) : (
        <pre>{content}</pre>
      )}
    </section>
  );
}
