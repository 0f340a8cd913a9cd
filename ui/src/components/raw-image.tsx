import { useEffect, useState } from 'react';
import { getToken } from '../auth';

/**
 * The `src` for a raw image of a repository. Signed out, the raw URL itself (streamed and cached
 * by the browser). Signed in, the token must go with the request, which an `<img>` cannot send:
 * the bytes are fetched with it and shown as a `data:` URL (the page's CSP allows those).
 */
export async function rawImageSource(url: string): Promise<string> {
  const token = getToken();
  if (!token) return url;
  // `omit`: the token is the header; a refusal must never open the browser's login prompt.
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, credentials: 'omit' });
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  const blob = await response.blob();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('unreadable image'));
    reader.readAsDataURL(blob);
  });
}

/** An image of the repository, previewed (SVG too: as an `<img>` it can never run script). */
export function RawImage({ url, alt }: { url: string; alt: string }) {
  const [source, setSource] = useState<{ url: string; src?: string; failed?: boolean }>({ url });
  useEffect(() => {
    let cancelled = false;
    rawImageSource(url).then(
      (src) => !cancelled && setSource({ url, src }),
      () => !cancelled && setSource({ url, failed: true }),
    );
    return () => {
      cancelled = true;
    };
  }, [url]);
  if (source.url !== url || (!source.src && !source.failed)) return <p className="muted">Loading image…</p>;
  if (source.failed) return <p className="muted">The image could not be loaded; use Raw.</p>;
  return (
    <div className="image-preview">
      <img src={source.src} alt={alt} />
    </div>
  );
}
