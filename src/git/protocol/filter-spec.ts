import { invalid } from '../../platform/errors.js';

/**
 * Object filters of partial clone (rev-list-options "--filter", protocol-v2 "filter"):
 * `blob:none`, `blob:limit=<n>[kmg]`, `tree:<depth>`. Others are refused by name so the client
 * says which filter the server does not support.
 */
export type ObjectFilter =
  | { readonly kind: 'blob:none' }
  | { readonly kind: 'blob:limit'; readonly limit: number }
  | { readonly kind: 'tree'; readonly depth: number };

const UNIT: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

export function parseFilterSpec(spec: string): ObjectFilter {
  if (spec === 'blob:none') return { kind: 'blob:none' };
  const limit = /^blob:limit=(\d{1,15})([kmg]?)$/i.exec(spec);
  if (limit) {
    const unit = UNIT[(limit[2] ?? '').toLowerCase()] ?? 1;
    return { kind: 'blob:limit', limit: Number(limit[1]) * unit };
  }
  const tree = /^tree:(\d{1,9})$/.exec(spec);
  if (tree) return { kind: 'tree', depth: Number(tree[1]) };
  throw invalid('filter_unsupported', `filter '${spec.slice(0, 64)}' not supported`);
}

export function formatFilterSpec(filter: ObjectFilter): string {
  switch (filter.kind) {
    case 'blob:none':
      return 'blob:none';
    case 'blob:limit':
      return `blob:limit=${filter.limit}`;
    case 'tree':
      return `tree:${filter.depth}`;
  }
}
