#!/usr/bin/env -S MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=8 --heap-growing-percent=100 --expose-gc
// Runs the compiled CLI (`npm install` builds dist/ through the `prepare` script).
// --max-semi-space-size=8 (MiB, default 16): a smaller young generation is collected more often,
// which keeps a server's peak memory lower on big clones and the push of 497k objects at 395–422
// MB instead of 464–481 with the default. 4 MiB held that push ~20 MB lower (374–379 MB) but cost
// the ingest ~8–11 % more CPU on every database; it was kept only while the idle server needed it.
// --heap-growing-percent=100: the old generation may double before its next full collection,
// instead of V8's up to 4x for small heaps; clone after clone of expressjs/express the server
// otherwise crept from ~240 to ~350 MB of mostly dead objects, and without it (8 MiB) the push peaked at
// 421 MB. The idle server after that push (217–242 MB before) is ~120 MB since it empties SQLite's
// page cache and trims glibc's heap once idle (src/storage/sqlite-memory-release.ts; docs/scale.md,
// "The idle server's C heap given back; the server's semi-space 8 MiB").
// --expose-gc: code that just dropped big buffers asks for a young-generation collection
// (src/platform/buffer-garbage.ts), which frees them long before V8 would by itself; after a big
// job the server collects its garbage once it idles (src/platform/heap-release.ts) instead of
// keeping it for as long as nothing allocates.
// MALLOC_MMAP_THRESHOLD_=131072 (glibc; other C libraries ignore it): buffers of 128 KiB or more
// are mapped and unmapped on their own. By default glibc raises that threshold up to 32 MiB after
// a big buffer is freed, so later ones come from its brk heap, whose freed space a process keeps:
// after a push of 497k objects and a clone, the server idled at 257–258 MB instead of 351–361 MB,
// and the clone's peak was 433–439 MB instead of 522–533 MB (docs/scale.md, "What holds the idle
// server's memory").
// MALLOC_ARENA_MAX=1: every thread allocates from glibc's main arena. A push's decode thread
// (src/storage/decode-thread.ts) otherwise gets an arena of its own, which outlives the thread
// with its freed memory resident: after a push of 497k objects the idle server kept 305 MB
// instead of 232 MB (docs/scale.md, "The decode thread on by default").
// Node reads V8 flags and glibc its environment only at start, hence the shebang.
import '../dist/cli/run.js';
