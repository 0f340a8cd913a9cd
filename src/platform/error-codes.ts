/**
 * Every stable error code, one `as const` list per area. Clients and tests match on these strings,
 * so `MegaError` accepts only a listed code and tsc checks every throw site. The lists live in
 * platform, beside `MegaError`, because platform may not import the areas; a code thrown by several
 * areas (`repository_not_found`) is listed once, by the lowest area that throws it.
 */

/** src/platform: Configuration. */
export const PLATFORM_ERROR_CODES = [
  'config_file_unreadable',
  'config_invalid',
  'secret_key_file_unreadable',
  'secret_key_invalid',
] as const;

/** src/git: Git formats and protocol parsing. */
export const GIT_ERROR_CODES = [
  'capabilities_too_long',
  'command_section_too_large',
  'deepen_invalid',
  'delta_bad_header',
  'delta_bad_opcode',
  'delta_base_size_mismatch',
  'delta_copy_out_of_bounds',
  'delta_insert_out_of_bounds',
  'delta_result_size_mismatch',
  'delta_result_too_large',
  'delta_truncated',
  'fetch_request_invalid',
  'fetch_request_truncated',
  'filter_unsupported',
  'invalid_object_id',
  'ls_refs_invalid',
  'negotiation_too_large',
  'object_bad_commit',
  'object_bad_header',
  'object_bad_ident',
  'object_bad_tag',
  'object_bad_tree',
  'object_bad_type',
  'object_info_invalid',
  'pack_bad_checksum',
  'pack_bad_delta_base',
  'pack_bad_entry_header',
  'pack_bad_entry_type',
  'pack_bad_signature',
  'pack_bad_version',
  'pack_bad_zlib',
  'pack_delta_chain_too_deep',
  'pack_index_bad_checksum',
  'pack_index_bad_header',
  'pack_index_truncated',
  'pack_missing_base',
  'pack_object_too_large',
  'pack_size_mismatch',
  'pack_too_large',
  'pack_too_many_objects',
  'pack_trailing_garbage',
  'pack_truncated',
  'pack_unresolved_deltas',
  'pack_worker_failed',
  'pack_write_delta_cycle',
  'pack_write_missing_base',
  'pkt_line_bad_hex',
  'pkt_line_bad_length',
  'pkt_line_too_long',
  'pkt_line_truncated',
  'push_command_invalid',
  'push_ref_invalid',
  'push_request_truncated',
  'push_too_many_commands',
  'push_too_many_options',
  'push_too_many_shallows',
  'v2_command_invalid',
  'v2_command_too_large',
  'v2_command_truncated',
  'zlib_deflate_failed',
] as const;

/** src/storage: Stores, ingest and database faults. */
export const STORAGE_ERROR_CODES = [
  'storage_full',
  'database_unavailable',
  'clone_walk_mixed_ids',
  'data_dir_unusable',
  'database_url_invalid',
  'duplicate_ref_update',
  'fsck_failed',
  'grant_not_found',
  'group_exists',
  'group_not_found',
  'ingest_conflict',
  'invalid_description',
  'invalid_email',
  'invalid_group_name',
  'invalid_object_path',
  'invalid_ref_name',
  'invalid_repository_path',
  'invalid_token_name',
  'invalid_username',
  'migration_failed',
  'object_corrupt',
  'object_delta_chain_too_long',
  'object_missing',
  'protected_branch_not_found',
  'ref_conflict',
  'ref_name_conflict',
  'repository_exists',
  'repository_not_found',
  'token_not_found',
  'user_exists',
  'user_not_found',
] as const;

/** src/access: Roles, visibility, token scopes, protected branches. */
export const ACCESS_ERROR_CODES = [
  'access_denied',
  'access_path_invalid',
  'admin_required',
  'authentication_required',
  'branch_pattern_invalid',
  'role_invalid',
  'scope_insufficient',
  'scope_invalid',
  'subject_invalid',
  'visibility_invalid',
] as const;

/** src/repo: Serving and browsing repositories. */
export const REPO_ERROR_CODES = [
  'deepen_not_unknown',
  'object_not_found',
  'object_too_large',
  'object_wrong_type',
  'paging_invalid',
  'path_invalid',
  'path_not_file',
  'path_not_found',
  'path_not_tree',
  'path_too_long',
  'revision_invalid',
  'revision_not_commit',
  'revision_not_found',
  'shallow_empty',
  'shallow_walk_too_large',
  'v2_command_unknown',
  'walk_too_large',
  'want_not_found',
] as const;

/** src/lfs: Git LFS. */
export const LFS_ERROR_CODES = [
  'lfs_batch_invalid',
  'lfs_batch_too_many_objects',
  'lfs_cursor_invalid',
  'lfs_force_unlock_denied',
  'lfs_limit_invalid',
  'lfs_lock_exists',
  'lfs_lock_not_found',
  'lfs_lock_not_owner',
  'lfs_lock_path_invalid',
  'lfs_object_hash_mismatch',
  'lfs_object_not_found',
  'lfs_object_removed',
  'lfs_object_size_mismatch',
  'lfs_oid_invalid',
  'lfs_request_invalid',
  'lfs_store_invalid',
  'lfs_transfer_token_invalid',
  'lfs_transfer_unsupported',
  'lfs_unlock_invalid',
  'lfs_verify_invalid',
] as const;

/** src/monorepo: The monorepo directory and its b-links. */
export const MONOREPO_ERROR_CODES = [
  'blink_invalid',
  'blink_not_found',
  'branch_not_found',
  'clone_limit_exceeded',
  'clone_refused',
  'directory_commit_not_found',
  'directory_not_initialised',
  'directory_path_invalid',
  'directory_path_not_found',
  'directory_repository',
  'directory_view_unavailable',
  'push_empties_repository',
  'push_outside_repository',
  'push_refused',
  'push_too_many_changes',
  'repository_empty',
  'view_busy',
] as const;

/** src/review: Merge requests. */
export const REVIEW_ERROR_CODES = [
  'merge_conflict',
  'merge_forbidden',
  'merge_request_not_closed',
  'merge_request_not_found',
  'merge_request_not_open',
  'merge_target_missing',
  'merge_target_moved',
  'self_merge_not_allowed',
] as const;

/** src/sync: Repository sync. */
export const SYNC_ERROR_CODES = [
  // `git_<class>` for each class of sync/error-class.ts (tsc checks git-runner.ts against this list).
  'git_auth',
  'git_not_found',
  'git_ref_not_found',
  'git_host_key',
  'git_tls',
  'git_network',
  'git_disk',
  'git_timeout',
  'git_unknown',
  'branch_invalid',
  'credential_exists',
  'credential_in_use',
  'credential_not_found',
  'credential_transport_mismatch',
  'filter_invalid',
  'git_argument_unsafe',
  'git_spawn_failed',
  'mirror_to_invalid',
  'path_escape',
  'path_id_invalid',
  'remote_url_has_credentials',
  'remote_url_invalid',
  'remote_url_protocol',
  'schedule_invalid',
  'secret_malformed',
  'secret_undecryptable',
  'sync_log_not_found',
  'sync_message_invalid',
  'sync_message_malformed',
  'sync_message_too_large',
  'sync_repository_not_found',
  'tenant_exists',
  'tenant_not_found',
  'worker_id_in_use',
  'worker_id_invalid',
] as const;

/** src/web: HTTP requests and authentication. */
export const WEB_ERROR_CODES = [
  'query_invalid',
  'auth_rate_limited',
  'asset_not_found',
  'authorization_malformed',
  'authorization_scheme_unsupported',
  'body_invalid',
  'body_too_deep',
  'client_gone',
  'content_encoding_unsupported',
  'dumb_http_unsupported',
  'internal_error',
  'lfs_object_too_large',
  'not_found',
  'origin_forbidden',
  'path_encoding_invalid',
  'repo_path_invalid',
  'repo_path_too_long',
  'repository_read_only',
  'request_body_gzip_invalid',
  'request_too_large',
  'route_not_found',
  'tenant_forbidden',
  'text_contains_nul',
  'token_invalid',
  'ui_not_built',
  'unsupported_media_type',
] as const;

/** src/cli: Command-line arguments and start-up. */
export const CLI_ERROR_CODES = [
  'argument_invalid',
  'input_invalid',
  'listen_failed',
  'merge_request_number_invalid',
  'merge_request_status_invalid',
  'secret_key_mismatch',
  'server_response_too_large',
  'server_unreachable',
  'server_url_invalid',
] as const;

export type ErrorCode =
  | (typeof PLATFORM_ERROR_CODES)[number]
  | (typeof GIT_ERROR_CODES)[number]
  | (typeof STORAGE_ERROR_CODES)[number]
  | (typeof ACCESS_ERROR_CODES)[number]
  | (typeof REPO_ERROR_CODES)[number]
  | (typeof LFS_ERROR_CODES)[number]
  | (typeof MONOREPO_ERROR_CODES)[number]
  | (typeof REVIEW_ERROR_CODES)[number]
  | (typeof SYNC_ERROR_CODES)[number]
  | (typeof WEB_ERROR_CODES)[number]
  | (typeof CLI_ERROR_CODES)[number];
