import { useEffect, useState } from 'react';
import { useApi, type Loadable } from './api';
import { getToken } from './auth';
import type { CurrentUser } from './types';

/** True while a token is kept for this tab; follows sign-in and sign-out. */
export function useSignedIn(): boolean {
  const [signedIn, setSignedIn] = useState(getToken() !== undefined);
  useEffect(() => {
    const update = () => setSignedIn(getToken() !== undefined);
    window.addEventListener('mega-auth', update);
    return () => window.removeEventListener('mega-auth', update);
  }, []);
  return signedIn;
}

/** The signed-in user, or undefined for anonymous visitors (and until the answer arrives). */
export function useCurrentUser(): CurrentUser | undefined {
  const signedIn = useSignedIn();
  const user: Loadable<CurrentUser> = useApi<CurrentUser>(signedIn ? '/api/v1/user' : undefined);
  return signedIn && user.state === 'ready' ? user.data : undefined;
}
