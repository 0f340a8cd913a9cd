/**
 * git-check-ref-format(1) rules (refs.c check_refname_format with no flags), the one ref-name rule
 * of the project (push commands, stored refs and HEAD, fsck's `badTagName`): no empty component, none starting with `.` or ending in `.lock`, no `..`, no
 * `@{`, no control characters, space, `~ ^ : ? * [ \`, not ending in `.`, and not `@` alone.
 */
export function isValidRefName(name: string): boolean {
  if (name === '@' || name.endsWith('.')) return false;
  if (name.includes('..') || name.includes('@{')) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || ' ~^:?*[\\'.includes(name[i] as string)) return false;
  }
  for (const component of name.split('/')) {
    if (component === '' || component.startsWith('.') || component.endsWith('.lock')) return false;
  }
  return true;
}
