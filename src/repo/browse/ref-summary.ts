import type { ObjectId } from '../../git/object-id.js';
import { parseTag } from '../../git/tag.js';
import { invalid } from '../../platform/errors.js';
import { aheadBehind } from './ahead-behind.js';
import { commitBrief, person, type CommitBrief, type PersonInfo } from './commit-log.js';
import type { ObjectReader } from './object-reader.js';

/** Longest filter text accepted. */
export const MAX_REF_FILTER_LENGTH = 200;

export interface BranchSummary {
  /** Short name (`main`). */
  readonly name: string;
  readonly ref: string;
  readonly isDefault: boolean;
  readonly commit: CommitBrief;
  /** Against the default branch; absent on the default branch itself or when it has none. */
  readonly ahead?: number;
  readonly behind?: number;
  /** False when the ahead/behind walk hit its bound (`MAX_AHEAD_BEHIND_WALK`): show "n+". */
  readonly exact?: boolean;
}

export interface TagSummary {
  readonly name: string;
  readonly ref: string;
  /** What the ref points at: the tag object of an annotated tag, else the commit. */
  readonly target: ObjectId;
  readonly annotated: boolean;
  /** The commit the tag finally names (absent when it names a tree or blob). */
  readonly commit?: CommitBrief;
  readonly tagger?: PersonInfo;
  /** First line of an annotated tag's message. */
  readonly message?: string;
  /** Seconds since the epoch: the tagger's date, else the commit's. */
  readonly date?: number;
}

/** The refs a page is cut from (`RepositoryBrowser.refs()`). */
export interface RefsToSummarise {
  readonly defaultBranch?: string;
  readonly refs: ReadonlyArray<{
    readonly name: string;
    readonly kind: 'branch' | 'tag' | 'other';
    readonly shortName: string;
    readonly target: ObjectId;
  }>;
}

export interface RefPageQuery {
  readonly filter?: string;
  /** 0-based. */
  readonly offset: number;
  readonly limit: number;
}

export interface RefPage<T> {
  /** Refs matching the filter, over all pages. */
  readonly total: number;
  readonly hasMore: boolean;
  readonly items: readonly T[];
}

function page<T extends { shortName: string }>(all: readonly T[], query: RefPageQuery) {
  const filter = (query.filter ?? '').toLowerCase();
  if (filter.length > MAX_REF_FILTER_LENGTH) {
    throw invalid('paging_invalid', 'filter too long', { limit: MAX_REF_FILTER_LENGTH });
  }
  const matching = filter ? all.filter((ref) => ref.shortName.toLowerCase().includes(filter)) : all;
  return {
    total: matching.length,
    hasMore: query.offset + query.limit < matching.length,
    shown: matching.slice(query.offset, query.offset + query.limit),
  };
}

/**
 * One page of branches, filtered by a case-insensitive substring: the default branch first, the
 * rest by name; each with its last commit and, against the default branch, bounded ahead/behind
 * counts. Only the page's branches are read, so 1000 branches cost what 30 do.
 */
export async function branchPage(
  reader: ObjectReader,
  refs: RefsToSummarise,
  query: RefPageQuery,
): Promise<RefPage<BranchSummary>> {
  const branches = refs.refs
    .filter((ref) => ref.kind === 'branch')
    .sort(
      (a, b) =>
        Number(b.shortName === refs.defaultBranch) - Number(a.shortName === refs.defaultBranch) ||
        (a.shortName < b.shortName ? -1 : a.shortName > b.shortName ? 1 : 0),
    );
  const { total, hasMore, shown } = page(branches, query);
  const base = branches.find((ref) => ref.shortName === refs.defaultBranch);
  const baseCommit = base ? (await reader.peel(base.target)).id : undefined;
  const items: BranchSummary[] = [];
  for (const ref of shown) {
    const tip = await reader.peel(ref.target);
    if (tip.type !== 'commit') continue;
    const isDefault = ref.shortName === refs.defaultBranch;
    const counts = baseCommit && !isDefault ? await aheadBehind(reader, tip.id, baseCommit) : undefined;
    items.push({
      name: ref.shortName,
      ref: ref.name,
      isDefault,
      commit: await commitBrief(reader, tip.id),
      ...counts,
    });
  }
  return { total, hasMore, items };
}

/** One page of tags, newest version-like name first (`v10` after `v9`), filtered like branches. */
export async function tagPage(
  reader: ObjectReader,
  refs: RefsToSummarise,
  query: RefPageQuery,
): Promise<RefPage<TagSummary>> {
  const tags = refs.refs
    .filter((ref) => ref.kind === 'tag')
    .sort((a, b) => b.shortName.localeCompare(a.shortName, 'en', { numeric: true }));
  const { total, hasMore, shown } = page(tags, query);
  const items: TagSummary[] = [];
  for (const ref of shown) {
    const peeled = await reader.peel(ref.target);
    const annotated = peeled.id !== ref.target;
    const tag = annotated ? parseTag(await reader.readTyped(ref.target, 'tag')) : undefined;
    const tagger = tag?.tagger ? person(tag.tagger) : undefined;
    const commit = peeled.type === 'commit' ? await commitBrief(reader, peeled.id) : undefined;
    const date = tagger?.timestamp ?? commit?.committer.timestamp;
    items.push({
      name: ref.shortName,
      ref: ref.name,
      target: ref.target,
      annotated,
      ...(commit ? { commit } : {}),
      ...(tagger ? { tagger } : {}),
      ...(tag?.message ? { message: tag.message.split('\n', 1)[0] ?? '' } : {}),
      ...(date !== undefined ? { date } : {}),
    });
  }
  return { total, hasMore, items };
}
