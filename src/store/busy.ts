/**
 * Writes from the service's event loop while an ingest child writes the same
 * database (docs/operations.md#under-load). A plain write waits in SQLite's
 * busy handler: synchronously, so every webhook and request waits with it,
 * and sleeping up to 100 ms between tries, so it keeps missing the moment the
 * child commits and can starve until "database is locked". Here the write
 * takes the lock up front (BEGIN IMMEDIATE, no busy wait: a read that later
 * upgrades to a write fails at once when the child holds the lock) and, while
 * the lock is taken, tries again every few milliseconds without holding the
 * event loop.
 */
import type { DB } from "./db.js";

const RETRY_MS = 2;
export const DEFAULT_WRITE_WAIT_MS = 10_000;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

/** Tries `fn` once in an IMMEDIATE transaction without waiting for the lock; `busy` when another connection holds it. */
function tryWrite<T>(db: DB, fn: () => T): { done: true; value: T } | { done: false } {
  const timeout = db.pragma("busy_timeout", { simple: true }) as number;
  db.pragma("busy_timeout = 0");
  try {
    return { done: true, value: db.transaction(fn).immediate() };
  } catch (err) {
    if (isBusy(err)) return { done: false };
    throw err;
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
}

/**
 * Runs the synchronous write `fn` in one IMMEDIATE transaction as soon as the
 * database's write lock is free, waiting asynchronously (at most `waitMs`,
 * then an error with code SQLITE_BUSY). Inside a transaction already, `fn` just runs.
 */
export async function writeWhenFree<T>(db: DB, fn: () => T, waitMs = DEFAULT_WRITE_WAIT_MS): Promise<T> {
  if (db.inTransaction) return fn();
  const deadline = performance.now() + waitMs;
  for (;;) {
    const attempt = tryWrite(db, fn);
    if (attempt.done) return attempt.value;
    if (performance.now() >= deadline)
      throw Object.assign(new Error(`the database stayed locked by another writer for ${waitMs >= 1000 ? `${Math.round(waitMs / 1000)} s` : `${waitMs} ms`}`), { code: "SQLITE_BUSY" });
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}
