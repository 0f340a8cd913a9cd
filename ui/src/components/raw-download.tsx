import type { MouseEvent } from 'react';
import { getToken } from '../auth';

/**
 * Download of a file's raw bytes (`download=1`: always an attachment). A link can't carry the
 * token: signed out, the browser streams the download itself; signed in, the bytes are fetched
 * with the token and saved from memory (a big file is held whole until saved — a short-lived
 * signed URL would let the browser stream it; see ui/README.md). Never opened as a page:
 * `blob:` URLs share this origin, so they are only ever saved, never shown.
 */
export function RawDownload({ url, name }: { url: string; name: string }) {
  const click = (event: MouseEvent<HTMLAnchorElement>) => {
    const token = getToken();
    if (!token || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
      return;
    event.preventDefault();
    void saveWithToken(url, name, token);
  };
  return (
    <a href={url} download={name} onClick={click}>
      Download
    </a>
  );
}

async function saveWithToken(url: string, name: string, token: string): Promise<void> {
  // `omit`: the token is the header; a refusal must never open the browser's login prompt.
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, credentials: 'omit' });
  if (!response.ok) {
    window.alert(`Download failed: ${response.status} ${response.statusText}`);
    return;
  }
  const objectUrl = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement('a'), { href: objectUrl, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  // The click has handed the URL to the download; release the bytes after this task.
  window.setTimeout(() => URL.revokeObjectURL(objectUrl), 0);
}
