import { z } from 'zod';
import {
  BINARY_SNIFF_BYTES,
  MAX_DIFF_BLOB_BYTES,
  MAX_DIFF_FILES,
  MAX_DIFF_TOTAL_LINES,
} from '../../repo/browse/tree-diff.js';
import { components } from './operation.js';
import { pageSchema } from './pagination.js';

/**
 * The JSON shapes the code-browsing, directory and token routes return, named in the OpenAPI
 * document's components. Optional fields are the ones the server leaves out when they do not apply.
 */
function named<T extends z.ZodType>(id: string, schema: T): T {
  components.add(schema, { id });
  return schema;
}

export const UserSchema = named(
  'User',
  z.object({
    id: z.int(),
    username: z.string(),
    isAdmin: z.boolean(),
    scopes: z.array(z.string()).describe("The presented token's scopes"),
  }),
);
export const TokenInfoSchema = named(
  'TokenInfo',
  z.object({
    id: z.int(),
    userId: z.int(),
    name: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    expiresAt: z.string().nullable(),
    scopes: z.array(z.string()).describe('read, write, admin'),
  }),
);
const Person = named(
  'Person',
  z.object({
    name: z.string(),
    email: z.string(),
    timestamp: z.int().describe('Seconds since the epoch'),
    timezone: z.string(),
  }),
);
export const CommitSchema = named(
  'Commit',
  z.object({
    id: z.string(),
    tree: z.string(),
    parents: z.array(z.string()),
    author: Person,
    committer: Person,
    title: z.string(),
    message: z.string(),
    truncated: z
      .boolean()
      .optional()
      .describe('Commit bigger than the display limit: message is only its start'),
    size: z.int().optional().describe('Real size of a truncated commit object'),
  }),
);
const DiffLine = named(
  'DiffLine',
  z.object({
    kind: z.enum(['context', 'add', 'delete']),
    text: z.string(),
    oldNumber: z.int().optional(),
    newNumber: z.int().optional(),
  }),
);
const Hunk = named(
  'Hunk',
  z.object({
    oldStart: z.int(),
    oldLines: z.int(),
    newStart: z.int(),
    newLines: z.int(),
    lines: z.array(DiffLine),
  }),
);
const FileDiff = named(
  'FileDiff',
  z.object({
    path: z.string(),
    status: z.enum(['added', 'deleted', 'modified', 'type_changed']),
    oldId: z.string().optional(),
    newId: z.string().optional(),
    oldMode: z.string().optional(),
    newMode: z.string().optional(),
    binary: z.boolean(),
    additions: z.int(),
    deletions: z.int(),
    hunks: z.array(Hunk),
    omitted: z
      .string()
      .optional()
      .describe(
        `Why hunks are missing: \`too_large\` (a side over ${count(MAX_DIFF_BLOB_BYTES)} bytes), ` +
          `\`diff_budget_exhausted\` (the diff had shown ${count(MAX_DIFF_TOTAL_LINES)} changed lines already)`,
      ),
  }),
);

function count(value: number): string {
  return value.toLocaleString('en-US');
}

/**
 * The bounds of every diff the API answers (`src/repo/browse/tree-diff.ts`), stated once for the
 * operations that answer diffs (compare, commit, merge request) and the `Diff` schema.
 */
export const DIFF_LIMITS_DESCRIPTION =
  `Diffs are bounded, and say so. At most ${count(MAX_DIFF_FILES)} changed files are listed; ` +
  `when there are more, \`truncated\` is true and the rest are left out. A file whose old or new ` +
  `side is over ${count(MAX_DIFF_BLOB_BYTES)} bytes (or the display limit, if lower) is listed ` +
  `without hunks (\`omitted: "too_large"\`); once ${count(MAX_DIFF_TOTAL_LINES)} changed lines have ` +
  `been given, later files are listed without hunks (\`omitted: "diff_budget_exhausted"\`). A ` +
  `binary file (NUL in its first ${count(BINARY_SNIFF_BYTES)} bytes) has \`binary: true\` and no hunks. ` +
  'There is no rename detection: a rename is a deletion and an addition.';

export const DiffSchema = named(
  'Diff',
  z
    .object({
      files: z.array(FileDiff),
      truncated: z
        .boolean()
        .describe(
          `More than ${count(MAX_DIFF_FILES)} changed files: only the first ${count(MAX_DIFF_FILES)} are listed`,
        ),
    })
    .describe(DIFF_LIMITS_DESCRIPTION),
);
export const CommitDetailSchema = named('CommitDetail', CommitSchema.extend({ diff: DiffSchema }));
export const CompareSchema = named(
  'Compare',
  z.object({ from: z.string(), to: z.string(), diff: DiffSchema }),
);
const Ref = named(
  'Ref',
  z.object({
    name: z.string(),
    kind: z.enum(['branch', 'tag', 'other']),
    shortName: z.string(),
    target: z.string(),
    peeled: z.string().optional(),
  }),
);
export const RefListSchema = named(
  'RefList',
  z.object({ items: z.array(Ref), defaultBranch: z.string().nullable() }),
);
const TreeEntry = named(
  'TreeEntry',
  z.object({
    name: z.string(),
    path: z.string(),
    kind: z.enum(['tree', 'blob', 'symlink', 'gitlink']),
    mode: z.string(),
    id: z.string(),
  }),
);
export const TreeSchema = named(
  'Tree',
  z.object({ commit: z.string(), path: z.string(), id: z.string(), entries: z.array(TreeEntry) }),
);
export const BlobSchema = named(
  'Blob',
  z.object({
    commit: z.string(),
    path: z.string(),
    id: z.string(),
    mode: z.string(),
    kind: z.string(),
    size: z.int().describe('Real size of the file'),
    binary: z.boolean(),
    truncated: z
      .boolean()
      .describe(
        'File bigger than the display limit (limits.maxDisplayBytes): content is its start; raw streams all',
      ),
    content: z
      .string()
      .optional()
      .describe('UTF-8 text (at most the display limit), absent for binary files'),
  }),
);
export const CommitPageSchema = named('CommitPage', pageSchema(CommitSchema));
const Rule = named(
  'Rule',
  z.object({ allowed: z.boolean(), mode: z.string().optional(), explanation: z.string() }),
);
const DirectoryEntry = named(
  'DirectoryEntry',
  z.object({
    name: z.string(),
    path: z.string(),
    kind: z.enum(['directory', 'repository', 'file']),
    id: z.string(),
    repoPath: z.string().optional(),
  }),
);
export const DirectorySchema = named(
  'Directory',
  z.object({
    path: z.string(),
    shape: z.enum(['root', 'directory', 'repository', 'subdirectory', 'absent']),
    area: z.string().optional(),
    directoryCommit: z.string(),
    repoPath: z.string().optional().describe('Set when the path is (inside) a repository'),
    subdir: z.string().optional(),
    entries: z.array(DirectoryEntry).optional().describe('Absent when the path is inside a repository'),
    clone: Rule.extend({ url: z.string() }),
    push: Rule,
  }),
);
