import { useEffect, useState } from 'react';
import { ApiError, useApi, type Loadable } from './api';
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

export interface Session {
  readonly signedIn: boolean;
  /** The user the kept token belongs to, once the server said so. */
  readonly user: CurrentUser | undefined;
  /** The server no longer accepts the kept token (revoked or expired since sign-in). */
  readonly refused: boolean;
}

/** The tab's sign-in state as the header shows it. */
export function useSession(): Session {
  const signedIn = useSignedIn();
  const user = useApi<CurrentUser>(signedIn ? '/api/v1/user' : undefined);
  return {
    signedIn,
    user: signedIn && user.state === 'ready' ? user.data : undefined,
    refused:
      signedIn && user.state === 'error' && user.error instanceof ApiError && user.error.status === 401,
  };
}
