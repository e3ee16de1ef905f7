/**
 * What every command shares: the global options of docs/cli.md, opening the
 * store and the config, and the rule that stdout carries only the result
 * (one JSON document with --json) while logs go to stderr.
 */
import { Option, type Command } from "commander";
import { UserError } from "../shared/errors.js";
import { DS_BOUNDS, isWithinDsBounds } from "../shared/dates.js";
import { assertDbFile, openDb, defaultDbPath, type DB } from "../store/db.js";
import { listDatasets } from "../store/partitions.js";
import { loadConfig, resolveDataset, type DatasetConfig } from "../config/load.js";
import type { GuardrailConfig } from "../config/schema.js";

export interface GlobalOptions {
  db?: string;
  dataset: string;
  config?: string;
  json?: boolean;
}

export interface CommandContext {
  opts: GlobalOptions;
  config: GuardrailConfig;
  dataset: DatasetConfig;
  /** Opened lazily: `gate` and `fixtures` never touch the store. */
  db(): DB;
  /** The result: JSON when --json, else the human text. */
  out(human: string, json: unknown): void;
  /** Progress and notes, always on stderr. */
  log(line: string): void;
}

/** Every option of docs/cli.md's global set, for the commands that use the store, a dataset and --json. */
export function addGlobalOptions(cmd: Command): Command {
  return addJsonOption(addDatasetOptions(addDbOption(cmd)));
}

/** `--db`: only for commands that open the store. */
export function addDbOption(cmd: Command): Command {
  return cmd.option("--db <path>", "SQLite database (default $GUARDRAIL_DB, else ./data/guardrail.db)");
}

/** `--dataset` and `--config`: for commands that read a dataset's settings. */
export function addDatasetOptions(cmd: Command): Command {
  return cmd
    .option("--dataset <name>", "dataset name", "default")
    .option("--config <file>", "guardrail.config.yml with datasets, metrics, checks and thresholds");
}

/**
 * The contract says every command takes `--db`, `--dataset` and `--config`; a command that has
 * no use for some of them still accepts them (hidden from its help) so documented calls keep working.
 */
export function acceptUnusedOptions(cmd: Command, names: ("db" | "dataset" | "config")[]): Command {
  for (const name of names) cmd.addOption(new Option(`--${name} <value>`, "accepted for compatibility; unused by this command").hideHelp());
  return cmd;
}

export function addJsonOption(cmd: Command): Command {
  return cmd.option("--json", "print one JSON document on stdout and nothing else");
}

/** JSON that keeps bigint values exact (as decimal strings). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2);
}

export interface ContextOptions {
  /** Read-only commands (report, evaluate, backtest): a --db path that does not exist is a typo,
   * not an empty store to create and then report "no data" from. */
  existingDb?: boolean;
}

/**
 * A read-only command on a dataset that neither the config names nor the
 * store has ever seen is a typo, not a dataset without data: say so instead
 * of answering "no data".
 */
function assertKnownDataset(db: DB, config: GuardrailConfig, name: string, path: string): void {
  if (name === "default" || name in config.datasets) return;
  const known = listDatasets(db);
  if (known.includes(name)) return;
  const names = [...new Set(["default", ...Object.keys(config.datasets), ...known])].sort();
  throw new UserError(`--dataset ${name}: no such dataset in ${path} or the config (known: ${names.join(", ")}).`);
}

export function makeContext(opts: GlobalOptions, { existingDb = false }: ContextOptions = {}): CommandContext {
  const config = loadConfig(opts.config);
  const dataset = resolveDataset(config, opts.dataset);
  let db: DB | undefined;
  const open = (): DB => {
    const path = opts.db ?? defaultDbPath();
    if (existingDb) assertDbFile(path);
    const db = openDb(path);
    if (existingDb) {
      try {
        assertKnownDataset(db, config, opts.dataset, path);
      } catch (err) {
        db.close();
        throw err;
      }
    }
    return db;
  };
  return {
    opts,
    config,
    dataset,
    db: () => (db ??= open()),
    out(human, json) {
      process.stdout.write(opts.json ? toJson(json) + "\n" : human.endsWith("\n") ? human : human + "\n");
    },
    log(line) {
      process.stderr.write(line + "\n");
    },
  };
}

/** `--as-of`: an ISO-8601 time with Z or an offset, or a date (its UTC midnight); one sentence when it is neither. */
export function parseAsOf(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  const ok = /^\d{4}-\d{2}-\d{2}$/.test(t) || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/.test(t);
  const ms = ok ? Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : t) : NaN;
  if (Number.isNaN(ms))
    throw new UserError(`--as-of ${JSON.stringify(text)}: expected an ISO-8601 time with Z or an offset (e.g. 2026-03-10T09:00:00Z) or a date YYYY-MM-DD.`);
  if (!isWithinDsBounds(ms)) throw new UserError(`--as-of ${JSON.stringify(text)}: expected a time ${DS_BOUNDS}.`);
  return new Date(ms);
}
