#!/usr/bin/env -S node --max-semi-space-size=4
// Runs the compiled CLI (`npm install` builds dist/ through the `prepare` script).
// --max-semi-space-size=4 (MiB, default 16): a smaller young generation is collected more often,
// which keeps a server's peak memory ~50 MB lower on big clones (expressjs/express: 320 → 270 MB)
// at no measurable cost in speed. Node reads V8 flags only at start, hence the shebang.
import '../dist/cli/run.js';
