import { isZeroId, type ObjectId } from '../git/object-id.js';
import type { ForegroundWork } from '../platform/foreground-work.js';
import { releaseHeapSoon } from '../platform/heap-release.js';
import { recordLikelyCloneWalks } from './clone-walk.js';
import type { RefUpdateRequest, ServedRepository, WalkedObject } from './served-repository.js';

/** How long after a push its walks are recorded: the push's response goes out first. */
const RECORD_DELAY_MS = 500;
/**
 * The longest one step of a recording gives way to git requests (`giveWay`). Longer than one
 * `ForegroundWork.pause` (10 s): the clone right after a first push of the `large` bench
 * repository sends for ~10 s after the recorder hands it its walk, so the rest came right at the
 * send's end, inside the client's delta resolution (both cores), instead of after the quiet time
 * that follows the fetch.
 */
const MAX_GIVE_WAY_MS = 30_000;

interface QueuedRecording {
  readonly repository: ServedRepository;
  /** The moved refs' ids before the queued pushes; undefined when a push did not say. */
  readonly before: Map<string, ObjectId | undefined> | undefined;
}

interface Settling {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  /** The walks the running recording has computed so far. */
  readonly known: KnownWalks;
}

/** A walk a recording run made known: its objects, or undefined when it is in storage already. */
type KnownWalk = readonly WalkedObject[] | undefined;

/**
 * The walks one repository's recording has computed, by key, as soon as each is known and before
 * it is saved: a clone waiting for one starts sending right away instead of after the save (the
 * row keys looked up, the parts encoded and written, then read back and decoded). Dropped when
 * the run ends; by then they are saved.
 */
class KnownWalks {
  private readonly walks = new Map<string, KnownWalk>();
  private readonly waiting = new Map<string, Array<(walk: KnownWalk) => void>>();

  has(key: string): boolean {
    return this.walks.has(key);
  }

  get(key: string): KnownWalk {
    return this.walks.get(key);
  }

  publish(key: string, walk: KnownWalk): void {
    this.walks.set(key, walk);
    for (const resolve of this.waiting.get(key) ?? []) resolve(walk);
    this.waiting.delete(key);
  }

  /** A clone waits for a walk not known yet. */
  get awaited(): boolean {
    return this.waiting.size > 0;
  }

  /** Resolves when `key`'s walk is published, or with undefined on `release`. */
  wait(key: string): Promise<KnownWalk> {
    return new Promise((resolve) => {
      const list = this.waiting.get(key);
      if (list) list.push(resolve);
      else this.waiting.set(key, [resolve]);
    });
  }

  /** The run ended: its walks are saved (or failed to be); waiters read storage. */
  release(): void {
    this.walks.clear();
    for (const list of this.waiting.values()) for (const resolve of list) resolve(undefined);
    this.waiting.clear();
  }

  /** Drops the run's walks, leaving waiters to the next run (the repository was pushed again). */
  forget(): void {
    this.walks.clear();
  }
}

/**
 * Records the likely clones' walks after pushes (`recordLikelyCloneWalks`), one repository at a
 * time in the background, starting a moment after the push (its response is not held up by the
 * walk). Pushes to a repository before its run starts are folded into one run. `close` runs what
 * is queued and waits for it (the database must outlive it).
 */
export class CloneWalkRecorder {
  private readonly queued = new Map<string, QueuedRecording>();
  /** Per path with a recording queued or running: settles when none is left. */
  private readonly settling = new Map<string, Settling>();
  private running: Promise<void> | undefined;
  /** The path being recorded now. */
  private current: string | undefined;
  /** A queued path a clone waits for: recorded next. */
  private wanted: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Ends the running recording's wait for the requests in flight (`giveWay`). */
  private wake: (() => void) | undefined;

  /**
   * `yieldTo`: the requests the recording gives way to once no clone waits for one of its walks
   * (`giveWay`).
   */
  constructor(
    private readonly onError: (error: unknown, path: string) => void,
    private readonly delayMs = RECORD_DELAY_MS,
    private readonly yieldTo?: Pick<ForegroundWork, 'pause'>,
  ) {}

  /**
   * Records `repository`'s likely walks soon. `moved`: the refs the push moved, so the walks
   * recorded before it can be extended; without them (or when another move without them is
   * queued) everything is walked.
   */
  schedule(repository: ServedRepository, moved?: readonly RefUpdateRequest[]): void {
    if (this.closed || !repository.cloneWalks) return;
    const path = repository.path;
    const queued = this.queued.get(path);
    // Pushes folded into one run: a ref's id before is the one before the first of them.
    let before = queued ? queued.before : new Map<string, ObjectId | undefined>();
    if (!moved) before = undefined;
    for (const update of moved ?? []) {
      if (before && !before.has(update.refName))
        before.set(update.refName, isZeroId(update.oldId) ? undefined : update.oldId);
    }
    this.queued.set(path, { repository, before });
    if (!this.settling.has(path)) {
      let resolve = () => {};
      const promise = new Promise<void>((done) => (resolve = done));
      this.settling.set(path, { promise, resolve, known: new KnownWalks() });
    }
    if (!this.running && !this.timer) this.timer = setTimeout(() => this.start(), this.delayMs);
    // A run giving way to requests finishes first: this one must not wait behind it.
    this.wake?.();
  }

  /**
   * The walk of `key` (a full clone's want set, `cloneWalkKey`) when `path`'s recording computes
   * it: as soon as it is known, before it is saved. Undefined (read storage) once the recording
   * is done without it, or at once when none is running or queued for `path`, or another
   * repository's is running (it could take long); a queued one nothing else delays starts now. A
   * full clone that would compute a walk being recorded waits for it and replays it instead of
   * walking the whole repository beside the recorder (the clone right after a push): two such
   * walks at once take both of them longer and twice the memory.
   */
  async recorded(path: string, key: string): Promise<readonly WalkedObject[] | undefined> {
    const settling = this.settling.get(path);
    if (!settling) return undefined;
    if (settling.known.has(key)) return settling.known.get(key);
    if (this.current !== path) {
      if (this.running || !this.queued.has(path)) return undefined;
      this.wanted = path;
      this.start();
    }
    const walk = settling.known.wait(key);
    this.wake?.();
    return walk;
  }

  /**
   * Resolves once `path` has no recording queued or running (at once when it has none), without
   * starting one sooner: for jobs that should come after the recording, not hurry it.
   */
  settled(path: string): Promise<void> {
    return this.settling.get(path)?.promise ?? Promise.resolve();
  }

  /** Runs what is queued now and resolves when nothing is queued or running. */
  async idle(): Promise<void> {
    if (this.timer) this.start();
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.idle();
  }

  private start(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running ??= this.drain();
  }

  private async drain(): Promise<void> {
    for (let next = this.take(); next; next = this.take()) {
      const path = next.repository.path;
      this.current = path;
      const settling = this.settling.get(path);
      try {
        await recordLikelyCloneWalks(
          next.repository,
          next.before,
          (key, walk) => settling?.known.publish(key, walk),
          () => this.giveWay(settling?.known),
        );
      } catch (error) {
        this.onError(error, path);
      }
      // Pushed again meanwhile: waiters wait for that run too.
      if (this.queued.has(path)) {
        settling?.known.forget();
      } else {
        settling?.known.release();
        settling?.resolve();
        this.settling.delete(path);
      }
    }
    this.current = undefined;
    this.running = undefined;
    // A whole repository's walk leaves most of the heap it used as garbage (see heap-release).
    releaseHeapSoon();
  }

  /**
   * Between the recording's steps: one turn of the event loop (a clone handed a walk takes it),
   * then, unless a clone waits for a walk not known yet or another recording is queued, a wait
   * while git requests are in flight and for the quiet time after them (up to
   * `MAX_GIVE_WAY_MS`). The clone right after a first push of the `large` bench repository waits
   * only for its own walk; the rest (the other want sets' walks, the tip bitmaps, the saves:
   * ~0.5 s of the event loop) otherwise runs beside its first seconds of sending, when the server
   * sets the pace, and in the client's `index-pack` after it.
   */
  private async giveWay(known: KnownWalks | undefined): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const began = Date.now();
    // Recordings queued behind this one are not held up either.
    while (
      !this.closed &&
      !known?.awaited &&
      this.queued.size === 0 &&
      Date.now() - began < MAX_GIVE_WAY_MS
    ) {
      const paused = this.yieldTo?.pause();
      if (!paused) return;
      const woken = await new Promise<boolean>((resolve) => {
        this.wake = () => resolve(true);
        void paused.then(() => resolve(false));
      });
      this.wake = undefined;
      if (woken) return;
    }
  }

  private take(): QueuedRecording | undefined {
    const wanted = this.wanted === undefined ? undefined : this.queued.get(this.wanted);
    this.wanted = undefined;
    const [first] = wanted ? [wanted] : this.queued.values();
    if (first) this.queued.delete(first.repository.path);
    return first;
  }
}
