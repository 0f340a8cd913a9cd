/**
 * The personal access token used as `Authorization: Bearer`. Kept in sessionStorage: it lives as
 * long as the tab, is never put in a URL, and a closed tab forgets it.
 */
const KEY = 'mega.token';

export function getToken(): string | undefined {
  return window.sessionStorage.getItem(KEY) ?? undefined;
}

export function setToken(token: string | undefined): void {
  if (token) window.sessionStorage.setItem(KEY, token);
  else window.sessionStorage.removeItem(KEY);
  window.dispatchEvent(new Event('mega-auth'));
}
