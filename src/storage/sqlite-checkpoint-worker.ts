import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';

/**
 * The thread of `SqliteCheckpointer`: its own connection to the database file, which copies the
 * write-ahead log into the database (and syncs both) when told, so commits on the main thread
 * never wait for that. A PASSIVE checkpoint takes no lock a writer or reader waits for.
 */
const { path } = workerData as { path: string };
const connection = new BetterSqlite3(path);
parentPort!.postMessage('open');

parentPort!.on('message', (message: 'checkpoint' | 'close') => {
  if (message === 'checkpoint') {
    connection.pragma('wal_checkpoint(PASSIVE)');
    parentPort!.postMessage('done');
  } else {
    connection.close();
    parentPort!.close();
  }
});
