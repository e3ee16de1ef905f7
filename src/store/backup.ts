/**
 * Backups of the SQLite store (docs/operations.md#backups). The database runs
 * in WAL mode, where copying the file is not safe (committed pages may still
 * be in `-wal`): `backupDatabase` uses SQLite's online backup, consistent
 * while the service writes, then checks the copy with `integrity_check`.
 * `restoreDatabase` refuses while a service holds the database (src/store/lease.ts).
 */
import Database from "better-sqlite3";
import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import { UserError } from "../shared/errors.js";
import { assertDbFile } from "./db.js";
import { leaseHolder, describeHolder } from "./lease.js";
import { MIGRATIONS } from "./migrations/index.js";

export interface BackupResult {
  from: string;
  to: string;
  bytes: number;
  schema_version: number;
  integrity: "ok";
}

/** `integrity_check` of a database file: "ok", or SQLite's first complaint. */
export function integrityOf(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma("integrity_check") as { integrity_check: string }[];
    return rows.length === 1 && rows[0].integrity_check === "ok" ? "ok" : rows.map((r) => r.integrity_check).slice(0, 3).join("; ");
  } finally {
    db.close();
  }
}

function schemaVersionOf(path: string): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.pragma("user_version", { simple: true }) as number;
  } finally {
    db.close();
  }
}

function openSource(path: string): Database.Database {
  assertDbFile(path);
  try {
    const db = new Database(path, { fileMustExist: true });
    db.pragma("busy_timeout = 10000");
    return db;
  } catch (err) {
    throw new UserError(`${path}: cannot open the SQLite database (${(err as Error).message}).`);
  }
}

/** Online backup of `from` into `to` (written beside it first, renamed when verified). */
export async function backupDatabase(from: string, to: string): Promise<BackupResult> {
  if (existsSync(to)) throw new UserError(`--to ${to}: the file exists; choose a new name (a backup never overwrites one).`);
  const src = openSource(from);
  const partial = `${to}.partial`;
  rmSync(partial, { force: true });
  try {
    await src.backup(partial);
  } catch (err) {
    rmSync(partial, { force: true });
    throw new UserError(`--to ${to}: the backup could not be written (${(err as Error).message}).`);
  } finally {
    src.close();
  }
  const integrity = integrityOf(partial);
  if (integrity !== "ok") {
    rmSync(partial, { force: true });
    throw new UserError(`${to}: the copy failed its integrity check (${integrity}); nothing was kept. Check the disk and try again.`);
  }
  renameSync(partial, to);
  return { from, to, bytes: statSync(to).size, schema_version: schemaVersionOf(to), integrity: "ok" };
}

/**
 * Replaces the database at `dbPath` with the backup `file`, page by page
 * through SQLite (so the target's WAL stays consistent). Refuses while a
 * service holds the database, and a file that is not an intact Guardrail
 * database of a schema this version knows.
 */
export async function restoreDatabase(file: string, dbPath: string): Promise<BackupResult> {
  const holder = leaseHolder(dbPath);
  if (holder) throw new UserError(`${dbPath}: ${describeHolder(holder)} holds this database; stop it before restoring (a restore under a running service would mix two databases).`);
  if (!existsSync(file)) throw new UserError(`${file}: no such backup file.`);
  let integrity: string;
  let version: number;
  try {
    integrity = integrityOf(file);
    version = schemaVersionOf(file);
  } catch (err) {
    throw new UserError(`${file}: not a SQLite database (${(err as Error).message}).`);
  }
  if (integrity !== "ok") throw new UserError(`${file}: the backup fails its integrity check (${integrity}); nothing was restored.`);
  const latest = Math.max(...MIGRATIONS.map((m) => m.version));
  if (version < 1 || version > latest)
    throw new UserError(`${file}: schema version ${version} is not one this Guardrail knows (1–${latest}); restore it with the Guardrail version that wrote it.`);
  const src = new Database(file, { readonly: true, fileMustExist: true });
  try {
    await src.backup(dbPath);
  } finally {
    src.close();
  }
  const after = integrityOf(dbPath);
  if (after !== "ok") throw new UserError(`${dbPath}: the restored database fails its integrity check (${after}).`);
  return { from: file, to: dbPath, bytes: statSync(dbPath).size, schema_version: version, integrity: "ok" };
}
