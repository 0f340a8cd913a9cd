import { main } from './main.js';

// The process entry point (bin/mega.js). Long-running commands keep the event loop alive
// themselves; one-shot commands end when their promise settles.
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `mega: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
