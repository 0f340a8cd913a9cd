import {
  ACCESS_ERROR_CODES,
  LFS_ERROR_CODES,
  MONOREPO_ERROR_CODES,
  REPO_ERROR_CODES,
  REVIEW_ERROR_CODES,
  STORAGE_ERROR_CODES,
  SYNC_ERROR_CODES,
  WEB_ERROR_CODES,
} from '../../platform/error-codes.js';
import type { JsonSchema } from './openapi.js';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  description: string;
}

interface Operation {
  summary: string;
  tags: string[];
  parameters?: Parameter[];
  security?: Array<Record<string, unknown>>;
  requestBody?: { content: Record<string, { schema: BodySchema }> };
}

/** A token is required when no security alternative is the empty (anonymous) one. */
function tokenRequired(op: Operation): boolean {
  const options = op.security ?? [];
  return options.length > 0 && options.every((option) => Object.keys(option).length > 0);
}

interface BodySchema {
  properties?: Record<string, { type?: string | string[]; enum?: unknown[]; description?: string }>;
  required?: string[];
}

/** The JSON body's fields as a table (name, type, required). */
function bodyTable(op: Operation): string {
  const schema = op.requestBody?.content['application/json']?.schema;
  const properties = Object.entries(schema?.properties ?? {});
  if (properties.length === 0) return '';
  const rows = properties
    .map(([name, property]) => {
      const type = property.enum
        ? property.enum.map(String).join(' | ')
        : [property.type ?? 'any'].flat().join(' | ');
      const required = schema?.required?.includes(name) ? 'yes' : '';
      return `<tr><td><code>${escapeHtml(name)}</code></td><td>body</td><td>${required}</td><td>${escapeHtml(type)}</td></tr>`;
    })
    .join('');
  return rows;
}

/** The codes an API answer can carry, by area: the targets of problem `type` URIs (`#error-<code>`). */
const API_ERROR_CODES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['Requests, authentication', WEB_ERROR_CODES],
  ['Access', ACCESS_ERROR_CODES],
  ['Repositories', REPO_ERROR_CODES],
  ['Monorepo, commits', MONOREPO_ERROR_CODES],
  ['Review', REVIEW_ERROR_CODES],
  ['Sync', SYNC_ERROR_CODES],
  ['LFS', LFS_ERROR_CODES],
  ['Storage', STORAGE_ERROR_CODES],
];

function errorCodeList(): string {
  return API_ERROR_CODES.map(
    ([area, codes]) =>
      `<h3>${escapeHtml(area)}</h3><ul class="codes">${codes
        .map((code) => `<li id="error-${escapeHtml(code)}"><code>${escapeHtml(code)}</code></li>`)
        .join('')}</ul>`,
  ).join('\n');
}

/**
 * The human-readable API reference at `/api/docs`, rendered on the server from the OpenAPI
 * document (no scripts, no external assets).
 */
export function renderDocsPage(document: JsonSchema): string {
  const paths = document.paths as Record<string, Record<string, Operation>>;
  const info = document.info as { title: string; version: string; description: string };
  const sections: string[] = [];
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params =
        (op.parameters ?? [])
          .map(
            (p) =>
              `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : ''}</td><td>${escapeHtml(p.description)}</td></tr>`,
          )
          .join('') + bodyTable(op);
      sections.push(
        `<section><h3><span class="method">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>` +
          `<p>${escapeHtml(op.summary)}${tokenRequired(op) ? ' <em>(token required)</em>' : ''}</p>` +
          (params
            ? `<table><tr><th>name</th><th>in</th><th>required</th><th>description</th></tr>${params}</table>`
            : '') +
          '</section>',
      );
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(info.title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1f2328}
code{font-family:ui-monospace,monospace}.method{background:#0969da;color:#fff;border-radius:4px;padding:0 .4rem;font-size:.8em}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
section{border-bottom:1px solid #d0d7de;padding:.5rem 0}.codes{columns:16rem}
</style></head><body>
<h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1>
<p>${escapeHtml(info.description)}</p>
<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>
${sections.join('\n')}
<section><h2 id="errors">Error codes</h2>
<p>Every error is an RFC 9457 problem (<code>application/problem+json</code>) whose <code>type</code> links here and whose <code>code</code> is one of these.</p>
${errorCodeList()}</section>
</body></html>`;
}
