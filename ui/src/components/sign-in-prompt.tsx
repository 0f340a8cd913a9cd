import { paths } from '../paths';
import { Link } from '../router';

/**
 * What a signed-out visitor sees on a page that needs a token, instead of a request that can
 * only be refused: what to do, and where.
 */
export function SignInPrompt({ what }: { what: string }) {
  return (
    <div className="notice" data-testid="sign-in-prompt">
      <p>
        {what} needs a signed-in user. <Link to={paths.signIn()}>Sign in with a personal access token</Link>{' '}
        (an administrator creates one with <code>mega token create</code>).
      </p>
    </div>
  );
}
