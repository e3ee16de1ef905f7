/**
 * `guardrail backup --to FILE`, `guardrail restore FILE` and
 * `guardrail migrate [--no-backup]` (docs/operations.md#backups).
 */
import type { RegisterCommand } from "./types.js";
import { addDbOption, addJsonOption, toJson } from "../common.js";
import { assertDbFile, defaultDbPath, openDb, pendingMigrations, schemaVersion } from "../../store/db.js";
import { backupDatabase, restoreDatabase } from "../../store/backup.js";
import { fmtBytes } from "../../present/format.js";

interface DbOpts {
  db?: string;
  json?: boolean;
}

function print(opts: DbOpts, human: string, json: unknown): void {
  process.stdout.write(opts.json ? toJson(json) + "\n" : human + "\n");
}

export const backup: RegisterCommand = (program, setExit) => {
  addJsonOption(
    addDbOption(
      program
        .command("backup")
        .description("copy the database while the service runs (SQLite online backup), then verify the copy")
        .requiredOption("--to <file>", "the backup file to write (must not exist)"),
    ),
  ).action(async (opts: DbOpts & { to: string }) => {
    const r = await backupDatabase(opts.db ?? defaultDbPath(), opts.to);
    print(opts, `Backed up ${r.from} to ${r.to} (${fmtBytes(r.bytes)}, schema version ${r.schema_version}, integrity ok).`, r);
    setExit(0);
  });
};

export const restore: RegisterCommand = (program, setExit) => {
  addJsonOption(
    addDbOption(
      program
        .command("restore")
        .description("replace the database with a backup; refused while a service holds the database")
        .argument("<file>", "a file written by guardrail backup (or a .bak-<version> of an upgrade)"),
    ),
  ).action(async (file: string, opts: DbOpts) => {
    const r = await restoreDatabase(file, opts.db ?? defaultDbPath());
    print(opts, `Restored ${r.to} from ${r.from} (schema version ${r.schema_version}, integrity ok). Start the service with the Guardrail version that matches it.`, r);
    setExit(0);
  });
};

export const migrate: RegisterCommand = (program, setExit) => {
  addJsonOption(
    addDbOption(
      program
        .command("migrate")
        .description("upgrade the database schema now (the service and every command also do it on open)")
        .option("--no-backup", "do not write <db>.bak-<version> before a schema change"),
    ),
  ).action((opts: DbOpts & { backup: boolean }) => {
    const path = opts.db ?? defaultDbPath();
    assertDbFile(path);
    const db = openDb(path, { backupBeforeMigrate: opts.backup });
    try {
      const r = { db: path, schema_version: schemaVersion(db), pending: pendingMigrations(db) };
      print(opts, `${path}: schema version ${r.schema_version}, up to date.`, r);
    } finally {
      db.close();
    }
    setExit(0);
  });
};
