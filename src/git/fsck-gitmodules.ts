import { parseConfig } from './fsck-config-parser.js';
import { report, type FsckFinding, type FsckPolicy } from './fsck-report.js';

/** git attr.h ATTR_MAX_FILE_SIZE and ATTR_MAX_LINE_LENGTH: what git will read of `.gitattributes`. */
export const GITATTRIBUTES_MAX_BYTES = 100 * 1024 * 1024;
export const GITATTRIBUTES_MAX_LINE = 2048;

/**
 * fsck.c fsck_blob for a blob some tree names `.gitmodules` (CVE-2018-11235, CVE-2018-17456,
 * CVE-2020-11008 and relatives): submodule names that escape `.git/modules` (`..` components),
 * urls and paths that a git command would take as an option, urls that resolve outside their
 * host, `update = !command`. A file git cannot parse is only `gitmodulesParse` (an info).
 */
export function fsckGitmodulesInto(data: Buffer, policy: FsckPolicy, out: FsckFinding[]): void {
  const parsed = parseConfig(data, (name, value) => {
    const entry = submoduleEntry(name);
    if (!entry) return;
    if (!isValidSubmoduleName(entry.name)) {
      report(out, policy, 'gitmodulesName', `disallowed submodule name: ${entry.name}`);
    }
    if (value === null) return;
    if (entry.key === 'url' && !isSafeSubmoduleUrl(value)) {
      report(out, policy, 'gitmodulesUrl', `disallowed submodule url: ${value}`);
    }
    if (entry.key === 'path' && value.startsWith('-')) {
      report(out, policy, 'gitmodulesPath', `disallowed submodule path: ${value}`);
    }
    if (entry.key === 'update' && value.startsWith('!')) {
      report(out, policy, 'gitmodulesUpdate', `disallowed submodule update setting: ${value}`);
    }
  });
  if (!parsed) report(out, policy, 'gitmodulesParse', 'could not parse gitmodules blob');
}

/** fsck.c fsck_blob for `.gitattributes`: git refuses to read huge files and very long lines. */
export function fsckGitattributesInto(data: Buffer, policy: FsckPolicy, out: FsckFinding[]): void {
  if (data.length > GITATTRIBUTES_MAX_BYTES) {
    report(out, policy, 'gitattributesLarge', '.gitattributes too large to parse');
    return;
  }
  let start = 0;
  // git reads the blob as a C string: a NUL ends it.
  const nul = data.indexOf(0);
  const end = nul < 0 ? data.length : nul;
  while (start < end) {
    const lf = data.indexOf(0x0a, start);
    const eol = lf < 0 || lf > end ? end : lf;
    if (eol - start >= GITATTRIBUTES_MAX_LINE) {
      report(out, policy, 'gitattributesLineLength', '.gitattributes has too long lines to parse');
      return;
    }
    start = eol + 1;
  }
}

/** config.c parse_config_key(var, "submodule", …): `submodule.<name>.<key>`, name may hold dots. */
function submoduleEntry(name: string): { name: string; key: string } | undefined {
  if (!name.startsWith('submodule.')) return undefined;
  const rest = name.slice('submodule.'.length);
  const dot = rest.lastIndexOf('.');
  if (dot < 0) return undefined;
  return { name: rest.slice(0, dot), key: rest.slice(dot + 1) };
}

function isSeparator(c: string | undefined): boolean {
  return c === '/' || c === '\\';
}

/** submodule-config.c check_submodule_name: not empty, no `..` path component (either separator). */
export function isValidSubmoduleName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = -1; i < name.length; i++) {
    if (i >= 0 && !isSeparator(name[i])) continue;
    const part = i + 1;
    if (
      name[part] === '.' &&
      name[part + 1] === '.' &&
      (part + 2 >= name.length || isSeparator(name[part + 2]))
    ) {
      return false;
    }
  }
  return true;
}

function startsWithDotSlash(url: string, at = 0): boolean {
  return url[at] === '.' && isSeparator(url[at + 1]);
}

function startsWithDotDotSlash(url: string, at = 0): boolean {
  return url[at] === '.' && url[at + 1] === '.' && isSeparator(url[at + 2]);
}

/** fsck.c check_submodule_url. */
export function isSafeSubmoduleUrl(url: string): boolean {
  if (url.startsWith('-')) return false;
  if (startsWithDotSlash(url) || startsWithDotDotSlash(url) || url.startsWith('git://')) {
    // Such a url may be appended to an http one and url-decoded: no newline may appear then.
    if (urlDecode(url).includes('\n')) return false;
    // `../` past the root can land in the host part (CVE-2020-11008).
    let pos = 0;
    let dotdots = 0;
    for (;;) {
      if (startsWithDotDotSlash(url, pos)) {
        dotdots++;
        pos += 3;
      } else if (startsWithDotSlash(url, pos)) {
        pos += 2;
      } else {
        break;
      }
    }
    return !(dotdots > 0 && (url[pos] === ':' || url[pos] === '/'));
  }
  const curl = curlUrl(url);
  if (curl !== undefined) return credentialUrlIsSafe(curl);
  return true;
}

/** fsck.c url_to_curl_url: the url git-remote-curl would get, for http(s)/ftp(s) transports. */
function curlUrl(url: string): string | undefined {
  for (const prefix of ['http::', 'https::', 'ftp::', 'ftps::']) {
    if (url.startsWith(prefix)) return url.slice(prefix.length);
  }
  for (const scheme of ['http://', 'https://', 'ftp://', 'ftps://']) {
    if (url.startsWith(scheme)) return url;
  }
  return undefined;
}

/**
 * credential.c credential_from_url_gently (full urls only): a scheme, a non-empty host, and no
 * newline in any decoded part (user, password, host, path).
 */
function credentialUrlIsSafe(url: string): boolean {
  const protoEnd = url.indexOf('://');
  if (protoEnd <= 0) return false;
  const cp = protoEnd + 3;
  const at = url.indexOf('@', cp);
  const colon = url.indexOf(':', cp);
  let slash = cp;
  while (slash < url.length && !'/?#'.includes(url[slash] as string)) slash++;
  const parts: string[] = [url.slice(0, protoEnd)];
  let host = cp;
  if (at >= 0 && at < slash) {
    if (colon < 0 || at <= colon) {
      parts.push(urlDecode(url.slice(cp, at)));
    } else {
      parts.push(urlDecode(url.slice(cp, colon)), urlDecode(url.slice(colon + 1, at)));
    }
    host = at + 1;
  }
  const hostName = urlDecode(url.slice(host, slash));
  if (hostName.length === 0) return false;
  parts.push(hostName);
  let path = slash;
  while (url[path] === '/') path++;
  if (path < url.length) parts.push(urlDecode(url.slice(path)));
  return !parts.some((part) => part.includes('\n'));
}

function hexValue(c: string | undefined): number {
  if (c === undefined) return -1;
  const code = c.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

/**
 * url.c url_decode: `%XX` decoded (never to NUL) after the scheme part (up to the first `:`),
 * which is kept as it is.
 */
function urlDecode(url: string): string {
  const colon = url.indexOf(':');
  const start = colon > 0 ? colon : 0;
  let out = url.slice(0, start);
  for (let i = start; i < url.length; i++) {
    const c = url[i] as string;
    if (c === '\0') break;
    if (c === '%' && i + 2 < url.length) {
      const high = hexValue(url[i + 1]);
      const low = hexValue(url[i + 2]);
      const value = high < 0 || low < 0 ? -1 : (high << 4) | low;
      if (value > 0) {
        out += String.fromCharCode(value);
        i += 2;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/**
 * The `.gitattributes` line check over a blob read in pieces (one too big to hold whole):
 * `feed` returns true once a line reaches git's limit; a NUL ends the text as in git.
 */
export class GitattributesLineScanner {
  private lineLength = 0;
  private ended = false;

  feed(chunk: Buffer): boolean {
    for (let i = 0; i < chunk.length && !this.ended; i++) {
      const c = chunk[i];
      if (c === 0) this.ended = true;
      else if (c === 0x0a) this.lineLength = 0;
      else if (++this.lineLength >= GITATTRIBUTES_MAX_LINE) return true;
    }
    return false;
  }
}
