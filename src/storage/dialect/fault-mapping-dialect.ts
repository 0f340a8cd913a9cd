import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { asDatabaseFault } from '../storage-faults.js';
import type { EventLoopTurns } from './event-loop-turns.js';

/** Told of every fault the database raised (the readiness check remembers a full disk). */
export type FaultListener = (error: unknown) => void;

/**
 * PostgreSQL cannot hold U+0000 in text (`invalid byte sequence for encoding "UTF8": 0x00`),
 * SQLite and MySQL can. So that text behaves the same on every database, a NUL in a text parameter
 * is stored as U+FFFD, the replacement character. Binary values (Buffers) are never touched, and
 * HTTP inputs with NUL are refused with 400 before they get here (src/web/text-input.ts); this is
 * the rule for text from elsewhere (commit messages, command output).
 */
const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';

function withoutNul(query: CompiledQuery): CompiledQuery {
  if (!hasNul(query.parameters)) return query;
  const parameters = query.parameters.map((value) =>
    typeof value === 'string' ? value.replaceAll(NUL, REPLACEMENT) : value,
  );
  return { ...query, parameters };
}

/** Whether a text parameter holds NUL: a plain loop, as an ingest's inserts carry ~300k values. */
function hasNul(parameters: readonly unknown[]): boolean {
  for (let index = 0; index < parameters.length; index++) {
    const value = parameters[index];
    if (typeof value === 'string' && value.includes(NUL)) return true;
  }
  return false;
}

/** SQLite's answer to ROLLBACK when it already rolled the transaction back itself. */
const NO_TRANSACTION = /no transaction is active/;

async function mapped<T>(work: () => Promise<T>, onFault: FaultListener): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const fault = asDatabaseFault(error);
    if (fault !== error) onFault(fault);
    throw fault;
  }
}

class FaultMappingConnection implements DatabaseConnection {
  /** The last fault a statement on this connection met (see `rollbackTransaction`). */
  lastFault: unknown;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly onFault: FaultListener,
    private readonly turns: EventLoopTurns | undefined,
  ) {}

  private readonly noteFault: FaultListener = (fault) => {
    this.lastFault = fault;
    this.onFault(fault);
  };

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const run = () => mapped(() => this.inner.executeQuery<R>(withoutNul(compiledQuery)), this.noteFault);
    const turn = this.turns?.due();
    return turn ? turn.then(run) : run();
  }

  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize?: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    const rows = this.inner.streamQuery<R>(withoutNul(compiledQuery), chunkSize);
    try {
      for (;;) {
        const next = await mapped(() => rows.next(), this.noteFault);
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // A consumer that stops early closes the driver's cursor before the connection is released.
      await rows.return?.();
    }
  }
}

/** Drivers keep private state on their own connection objects: they always get those back. */
function innerOf(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof FaultMappingConnection ? connection.inner : connection;
}

class FaultMappingDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly onFault: FaultListener,
    private readonly afterCommit: (() => void) | undefined,
    private readonly turns: EventLoopTurns | undefined,
  ) {}

  init(): Promise<void> {
    return mapped(() => this.inner.init(), this.onFault);
  }

  acquireConnection(): Promise<DatabaseConnection> {
    return mapped(
      async () => new FaultMappingConnection(await this.inner.acquireConnection(), this.onFault, this.turns),
      this.onFault,
    );
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return mapped(() => this.inner.beginTransaction(innerOf(connection), settings), this.onFault);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await mapped(() => this.inner.commitTransaction(innerOf(connection)), this.onFault);
    this.afterCommit?.();
  }

  /**
   * SQLite rolls a transaction back by itself when a write meets a full disk (SQLITE_FULL,
   * https://sqlite.org/lang_transaction.html "Response To Errors Within A Transaction"), and a
   * dead connection cannot roll back at all. Kysely would then throw the rollback's error in place
   * of the cause. A transaction the database already ended is rolled back; after a fault on the
   * connection, that fault is what the caller gets.
   */
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await mapped(() => this.inner.rollbackTransaction(innerOf(connection)), this.onFault);
    } catch (error) {
      const earlier = connection instanceof FaultMappingConnection ? connection.lastFault : undefined;
      if (earlier !== undefined) throw earlier;
      if (error instanceof Error && NO_TRANSACTION.test(error.message)) return;
      throw error;
    }
  }

  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const inner = this.inner.savepoint?.bind(this.inner);
    if (!inner) throw new Error('the database driver has no savepoints');
    await mapped(() => inner(innerOf(connection), name, compile), this.onFault);
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const inner = this.inner.rollbackToSavepoint?.bind(this.inner);
    if (!inner) throw new Error('the database driver has no savepoints');
    await mapped(() => inner(innerOf(connection), name, compile), this.onFault);
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const inner = this.inner.releaseSavepoint?.bind(this.inner);
    if (!inner) throw new Error('the database driver has no savepoints');
    await mapped(() => inner(innerOf(connection), name, compile), this.onFault);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(innerOf(connection));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/**
 * A dialect whose every query, connection and transaction step reports driver errors as typed
 * faults (`classifyDatabaseFault`): a full disk and an unreachable database become `unavailable`
 * MegaErrors in one place, whatever the driver, so no caller branches on driver error codes.
 */
export class FaultMappingDialect implements Dialect {
  /**
   * `afterCommit` is told after every committed transaction (SQLite's checkpoint thread); with
   * `turns`, statements give the event loop a turn when due (an in-process, synchronous driver).
   */
  constructor(
    private readonly inner: Dialect,
    private readonly onFault: FaultListener,
    private readonly afterCommit?: () => void,
    private readonly turns?: EventLoopTurns,
  ) {}

  createDriver(): Driver {
    return new FaultMappingDriver(this.inner.createDriver(), this.onFault, this.afterCommit, this.turns);
  }

  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return this.inner.createAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return this.inner.createIntrospector(db);
  }
}
