import { z } from 'zod';
import { parseRemoteUrl } from './remote-url.js';
import { assertBranchName, assertFilterSpec, assertMirrorPath } from './sync-spec.js';
import { parseSchedule } from './sync-schedule.js';

/**
 * Validated inputs of the sync service, shared by the REST API and the CLI. Secrets are accepted
 * here and nowhere returned; every free-text field is bounded.
 */
const passes = (check: (value: string) => unknown) => (value: string) => {
  try {
    check(value);
    return true;
  } catch {
    return false;
  }
};

const MAX_SECRET_BYTES = 64 * 1024;
const name = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[^\0-\x1f/\\]+$/, 'no control characters or slashes');
const branch = z.string().refine(passes(assertBranchName), 'not a valid branch name');

export const TenantInput = z.object({ name }).strict();

export const CredentialInput = z
  .object({
    name,
    type: z.enum(['password', 'token', 'ssh_key']),
    username: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^\0-\x1f:]+$/, 'no control characters or colons')
      .nullable()
      .default(null),
    secret: z
      .string()
      .min(1)
      .refine((value) => Buffer.byteLength(value) <= MAX_SECRET_BYTES, 'secret too large'),
    known_host: z.string().max(8192).nullable().default(null),
  })
  .strict()
  .refine((input) => input.type !== 'password' || input.username !== null, {
    message: 'a password credential needs a username',
    path: ['username'],
  })
  .refine((input) => input.type === 'ssh_key' || !/[\r\n]/.test(input.secret), {
    message: 'secret must be one line',
    path: ['secret'],
  });

export const CredentialPatch = z
  .object({
    username: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^\0-\x1f:]+$/)
      .nullable()
      .optional(),
    secret: z
      .string()
      .min(1)
      .refine((value) => Buffer.byteLength(value) <= MAX_SECRET_BYTES, 'secret too large')
      .optional(),
    known_host: z.string().max(8192).nullable().optional(),
  })
  .strict();

const repositoryFields = {
  name,
  url: z
    .string()
    .refine(passes(parseRemoteUrl), 'url must be https, http, ssh, git or file, without credentials'),
  branch,
  branches: z.array(branch).max(32),
  is_public: z.boolean(),
  credential_id: z.number().int().positive().nullable(),
  schedule: z
    .string()
    .refine(passes(parseSchedule), 'schedule must be a cron pattern or "@every <n><s|m|h|d>"')
    .nullable(),
  depth: z.number().int().positive().max(1_000_000).nullable(),
  filter: z
    .string()
    .refine(passes(assertFilterSpec), 'filter must be blob:none, blob:limit=<n> or tree:<n>')
    .nullable(),
  lfs: z.boolean(),
  submodules: z.boolean(),
  strict_host_key: z.boolean(),
  mirror_to: z.string().refine(passes(assertMirrorPath), 'must be a path under /import').nullable(),
};

export const RepositoryInput = z
  .object({
    ...repositoryFields,
    branch: repositoryFields.branch.default('main'),
    branches: repositoryFields.branches.default([]),
    is_public: repositoryFields.is_public.default(false),
    credential_id: repositoryFields.credential_id.default(null),
    schedule: repositoryFields.schedule.default(null),
    depth: repositoryFields.depth.default(null),
    filter: repositoryFields.filter.default(null),
    lfs: repositoryFields.lfs.default(false),
    submodules: repositoryFields.submodules.default(false),
    strict_host_key: repositoryFields.strict_host_key.default(true),
    mirror_to: repositoryFields.mirror_to.default(null),
  })
  .strict();

export const RepositoryPatch = z.object(repositoryFields).partial().strict();

export type TenantInputT = z.infer<typeof TenantInput>;
export type CredentialInputT = z.infer<typeof CredentialInput>;
export type CredentialPatchT = z.infer<typeof CredentialPatch>;
export type RepositoryInputT = z.infer<typeof RepositoryInput>;
export type RepositoryPatchT = z.infer<typeof RepositoryPatch>;
