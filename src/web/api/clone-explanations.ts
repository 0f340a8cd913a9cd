import type { PushMode, Rule, ServeMode } from '../../monorepo/clone-rules.js';

/** Plain-language explanation of each clone mode of SPEC §6, shown next to the clone URL. */
const CLONE_TEXT: Readonly<Record<ServeMode, string>> = {
  'directory-history':
    'Clones the directory itself with its history: the top level only (projects/, import/ and README files); repositories below are not expanded.',
  'expanded-directory':
    "One commit holding every repository under this directory, each expanded to its latest tree (no history). Refused when the expanded size exceeds the server's clone limit: clone a narrower path then, or change files through the commits API (POST /api/v1/commits).",
  'repository-head': "One commit: the repository's latest tree, without history.",
  'repository-subtree': 'One commit rooted at this subdirectory of the repository, without history.',
  stored: 'A standard clone with full history, all branches and tags.',
};

const PUSH_TEXT: Readonly<Record<PushMode, string>> = {
  'readme-only': 'Pushing back may only change README files at the top level; anything else is rejected.',
  'merge-request':
    "Pushing opens or updates a merge request; the repository's branch moves only when it is merged.",
  direct: 'Pushes update branches and tags directly (full history).',
  create: 'Pushing here creates a new repository and adds it to the directory.',
};

export interface RuleView {
  readonly allowed: boolean;
  readonly mode?: string;
  readonly explanation: string;
}

export function cloneRuleView(rule: Rule<ServeMode>): RuleView {
  return rule.allowed
    ? { allowed: true, mode: rule.mode, explanation: CLONE_TEXT[rule.mode] }
    : { allowed: false, explanation: `Cannot be cloned: ${rule.reason}.` };
}

export function pushRuleView(rule: Rule<PushMode>): RuleView {
  return rule.allowed
    ? { allowed: true, mode: rule.mode, explanation: PUSH_TEXT[rule.mode] }
    : { allowed: false, explanation: `Cannot be pushed to: ${rule.reason}.` };
}
