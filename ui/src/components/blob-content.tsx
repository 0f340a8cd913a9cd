import { useState, type ReactNode } from 'react';
import { paths } from '../paths';
import type { BlobView } from '../types';
import { FileView } from './file-view';
import { formatBytes, parseLfsPointer, type LfsPointer } from './lfs-pointer';
import { parseLineHash } from './line-selection';
import { MarkdownView } from './markdown-view';
import { RawImage } from './raw-image';

const IMAGE = /\.(png|jpe?g|gif|webp|avif|bmp|ico|svg)$/i;
const MARKDOWN = /\.(md|markdown|mdown|mkd)$/i;

export const isMarkdownPath = (path: string) => MARKDOWN.test(path);

/** What a file page shows: the LFS object, an image, rendered Markdown or highlighted source. */
export function BlobContent({ repo, revision, blob }: { repo: string; revision: string; blob: BlobView }) {
  const { path, content } = blob;
  const pointer = lfsPointerOf(blob);
  if (pointer) return <LfsFile repo={repo} blob={blob} pointer={pointer} />;
  const raw = paths.raw(repo, blob.commit, path);
  if (IMAGE.test(path) && (blob.binary || /\.svg$/i.test(path))) {
    if (content === undefined || blob.truncated) return <RawImage url={raw} alt={fileName(path)} />;
    return (
      <Toggle
        preview={<RawImage url={raw} alt={fileName(path)} />}
        source={<FileView path={path} content={content} />}
      />
    );
  }
  if (blob.binary) return <p className="muted">Binary file not shown; use Download.</p>;
  if (content === undefined) return <p className="muted">File too large to show; use Raw.</p>;
  const truncated = blob.truncated && (
    <p className="muted">
      File too large to show whole: its first {content.length.toLocaleString()} characters follow; use Raw for
      all of it.
    </p>
  );
  if (MARKDOWN.test(path) && !blob.truncated) {
    return (
      <Toggle
        preview={
          // The page's h1 names the file: the document's own headings go one level down.
          <MarkdownView
            text={content}
            source={{ repo, ref: revision, commit: blob.commit, path, headingShift: 1 }}
          />
        }
        source={<FileView path={path} content={content} />}
      />
    );
  }
  return (
    <>
      {truncated}
      <FileView path={path} content={content} />
    </>
  );
}

/** Preview (rendered) or Source (numbered lines); a `#L…` link opens on the source. */
function Toggle({ preview, source }: { preview: ReactNode; source: ReactNode }) {
  const [mode, setMode] = useState<'preview' | 'source'>(() =>
    parseLineHash(window.location.hash) ? 'source' : 'preview',
  );
  return (
    <>
      <div className="view-toggle" role="group" aria-label="Show as">
        <button type="button" aria-pressed={mode === 'preview'} onClick={() => setMode('preview')}>
          Preview
        </button>
        <button type="button" aria-pressed={mode === 'source'} onClick={() => setMode('source')}>
          Source
        </button>
      </div>
      {mode === 'preview' ? preview : source}
    </>
  );
}

/** A file stored in Git LFS: what it is, and where its real bytes are. */
function LfsFile({ repo, blob, pointer }: { repo: string; blob: BlobView; pointer: LfsPointer }) {
  const raw = paths.raw(repo, blob.commit, blob.path);
  return (
    <div className="lfs-file">
      <p>
        <span className="badge lfs">LFS</span> Stored with Git LFS · {formatBytes(pointer.size)} ·{' '}
        <code title={`sha256:${pointer.oid}`}>{pointer.oid.slice(0, 12)}</code>
      </p>
      {IMAGE.test(blob.path) ? (
        <RawImage url={raw} alt={fileName(blob.path)} />
      ) : (
        <p className="muted">The content is kept outside the repository; use Raw or Download.</p>
      )}
    </div>
  );
}

export function fileName(path: string): string {
  return path.split('/').pop() ?? path;
}

/** The LFS pointer the file is, if it is one. */
export function lfsPointerOf(blob: BlobView): LfsPointer | undefined {
  return blob.content === undefined ? undefined : parseLfsPointer(blob.content);
}

/** The toolbar's size: the LFS object's real size when the file is a pointer. */
export function displaySize(blob: BlobView): string {
  return formatBytes(lfsPointerOf(blob)?.size ?? blob.size);
}
