/**
 * The SQLite store. One file, WAL so readers (dashboard, gate) never wait on
 * the ingest writer, a busy timeout so two writers queue instead of failing,
 * and schema migrations applied in order of their version number.
 */
import Database from "better-sqlite3";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { MIGRATIONS } from "./migrations/index.js";
import { UserError } from "../shared/errors.js";

export type DB = Database.Database;

export function defaultDbPath(): string {
  return process.env.GUARDRAIL_DB || "./data/guardrail.db";
}

export interface OpenOptions {
  /**
   * Before a migration changes the schema of an existing database, copy it to
   * `<db>.bak-<version>` (the version it had), so an upgrade can be rolled
   * back (docs/operations.md#upgrades). Default: on, unless
   * GUARDRAIL_MIGRATION_BACKUP=0; `guardrail migrate --no-backup` turns it off.
   */
  backupBeforeMigrate?: boolean;
}

function backupDefault(): boolean {
  return process.env.GUARDRAIL_MIGRATION_BACKUP !== "0";
}

/** Stops, in one sentence, when `path` holds no database: reading commands, migrate and backup must not create an empty one. */
export function assertDbFile(path: string): void {
  if (path !== ":memory:" && !existsSync(path))
    throw new UserError(`${path}: no Guardrail database here (expected the file that guardrail ingest wrote; check --db or GUARDRAIL_DB).`);
}

export function openDb(path: string = defaultDbPath(), opts: OpenOptions = {}): DB {
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
  if (path !== ":memory:" && (opts.backupBeforeMigrate ?? backupDefault())) backupBeforeMigrating(db, path);
  migrate(db);
  return db;
}

/**
 * A long write split into transactions (the raw ingest commits every chunk of
 * rows, so a crash loses at most one chunk of a batch that is still staged).
 */
export const chunkedWrite = {
  begin(db: DB): void {
    db.exec("BEGIN");
  },
  commit(db: DB): void {
    if (db.inTransaction) db.exec("COMMIT");
  },
  /** Rolls back the open chunk, if any. */
  abort(db: DB): void {
    if (db.inTransaction) db.exec("ROLLBACK");
  },
};

export function schemaVersion(db: DB): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/** The migrations `db` still lacks. */
export function pendingMigrations(db: DB): number[] {
  const current = schemaVersion(db);
  return MIGRATIONS.filter((m) => m.version > current).map((m) => m.version);
}

/**
 * `VACUUM INTO` a copy of a database about to be migrated: consistent in WAL
 * mode and synchronous, so it can run inside openDb. A new database (version
 * 0) has nothing to keep. Written beside the target, then renamed over an
 * older copy of the same version.
 */
export function backupBeforeMigrating(db: DB, path: string): string | null {
  const current = schemaVersion(db);
  if (current === 0 || pendingMigrations(db).length === 0) return null;
  const to = `${path}.bak-${current}`;
  const tmp = `${to}.partial`;
  rmSync(tmp, { force: true });
  try {
    db.prepare(`VACUUM INTO ?`).run(tmp);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new UserError(`${path}: the backup before upgrading the schema from version ${current} could not be written to ${to} (${(err as Error).message}); nothing was changed. Free some disk, or pass --no-backup to guardrail migrate.`);
  }
  if (existsSync(tmp)) renameSync(tmp, to);
  process.stderr.write(`guardrail: ${path}: schema version ${current} backed up to ${to} before upgrading\n`);
  return to;
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
