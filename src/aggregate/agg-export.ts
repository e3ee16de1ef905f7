/**
 * Reads a warehouse-built aggregate export (`guardrail ingest-agg`): CSV with
 * a header or NDJSON, gzip ok (H1's text reader detects it by magic bytes).
 * Columns are those of agg_website_events (docs/metrics.md plus dim_product_type and
 * dim_app_version). An aggregate cannot drop a bad row the way raw ingest
 * does (every total would be silently wrong), so the first bad row refuses
 * the whole file with one sentence naming file, line and field.
 */
import { CsvError } from "csv-parse";
import type { DatasetConfig } from "../config/load.js";
import type { AggRow } from "../shared/types.js";
import { UserError } from "../shared/errors.js";
import { isValidDs, DS_BOUNDS } from "../shared/dates.js";
import { csvRecords, detectFormat, readText, SourceError } from "../events/source.js";
import { inputLimitsFromEnv, lineTooLongError } from "../events/limits.js";
import { ActionResolver, isWellFormedHost, shown } from "../events/values.js";
import { DEFAULT_LEVELS, GROUP_COLUMNS, emptyAggRow, type LevelDef } from "./levels.js";

const MEASURES = ["m_total_events", "m_unique_visitors", "m_unique_users"] as const;
export const AGG_REQUIRED_COLUMNS = ["aggregation_level", ...MEASURES];
const STRING_DIMS = ["dim_hostname", "dim_country", "dim_device_brand", "dim_channel", "dim_product_type", "dim_app_version"] as const;

export interface AggExport {
  rows: AggRow[];
  /** The ds the rows name (null when they have no ds column). */
  rowDs: string | null;
  rowsRead: number;
}

const isNull = (v: unknown) => v === undefined || v === null || (typeof v === "string" && (v.trim() === "" || v === "\\N"));

class RowParser {
  private readonly levels: Map<string, LevelDef>;
  private readonly actions: ActionResolver;
  /** Where each slice first appeared, to name that line when it repeats. */
  private readonly seen = new Map<string, { file: string; line: number }>();
  rowDs: string | null = null;
  rows: AggRow[] = [];

  constructor(
    private readonly cfg: DatasetConfig,
    levels: LevelDef[],
  ) {
    this.levels = new Map(levels.map((l) => [l.name, l]));
    this.actions = new ActionResolver(cfg.action_types, cfg.action_aliases);
  }

  /** `columns`: the CSV header, so a grouped column that is absent is told apart from an empty value (NDJSON: undefined). */
  add(rec: Record<string, unknown>, file: string, line: number, columns?: Set<string>): void {
    const where = `${file}: line ${line}`;
    const bad = (field: string, what: string): never => {
      throw new UserError(`${where}: field ${field}: ${what}.`);
    };
    const levelName = isNull(rec.aggregation_level) ? bad("aggregation_level", "is empty; expected a level name") : String(rec.aggregation_level).trim();
    const level = this.levels.get(levelName) ?? bad("aggregation_level", `unknown level ${shown(levelName)}; expected one of ${[...this.levels.keys()].join(", ")}`);
    if (!isNull(rec.logged_out_user_id)) bad("logged_out_user_id", "must be empty on every aggregation level (a visitor-level row would make the aggregate as large as the raw table)");
    if (!isNull(rec.ds)) {
      const ds = String(rec.ds).trim();
      if (!isValidDs(ds)) bad("ds", `expected a date YYYY-MM-DD ${DS_BOUNDS}, got ${shown(rec.ds)}`);
      if (this.rowDs && ds !== this.rowDs) bad("ds", `is ${ds} but earlier rows say ${this.rowDs}; one export is one day`);
      this.rowDs = ds;
    }
    const row = emptyAggRow(levelName);
    const grouped = new Set<string>(level.columns);
    for (const col of GROUP_COLUMNS) {
      const v = rec[col];
      if (columns && grouped.has(col) && !columns.has(col))
        bad(col, `level ${levelName} groups by ${col} but the CSV header has no ${col} column`);
      if (!grouped.has(col)) {
        if (!isNull(v)) bad(col, `must be empty at level ${levelName}, which does not group by it (got ${shown(v)})`);
        continue;
      }
      if (col === "event_hour") {
        const h = toInt(v);
        if (h === null || h < 0 || h > 23) bad(col, `expected an hour 0…23 at level ${levelName}, got ${shown(v)}`);
        row.event_hour = h;
      } else if (col === "action_type") {
        if (isNull(v)) bad(col, `is empty; level ${levelName} groups by action_type`);
        const a = this.actions.canonical(String(v));
        if (!this.actions.allowed.has(a)) bad(col, `${shown(v)} is not one of the action types (${this.cfg.action_types.join(", ")})`);
        row.action_type = a;
      } else if (!isNull(v)) {
        const s = String(v);
        if (col === "dim_hostname" && !isWellFormedHost(s)) bad(col, `expected a lower-case host name such as www.example.com, got ${shown(v)}`);
        row[col as (typeof STRING_DIMS)[number]] = s;
      }
    }
    for (const m of MEASURES) {
      const n = toInt(rec[m]);
      if (n === null || n < 0) return bad(m, `expected a non-negative integer, got ${shown(rec[m])}`);
      row[m] = n;
    }
    // m_visits is optional: exports from a query generated before visits existed lack it (the visits metric is then undefined).
    if (isNull(rec.m_visits)) row.m_visits = null;
    else {
      const n = toInt(rec.m_visits);
      if (n === null || n < 0) bad("m_visits", `expected a non-negative integer or nothing, got ${shown(rec.m_visits)}`);
      if (n! > row.m_total_events) bad("m_visits", `${n} visits exceeds m_total_events ${row.m_total_events}; a visit starts at one of the slice's events`);
      row.m_visits = n;
    }
    // Every event has a logged_out_user_id, so a slice with events has at least one visitor.
    if (row.m_total_events > 0 && row.m_unique_visitors === 0)
      bad("m_unique_visitors", `is 0 but the slice has ${row.m_total_events} events; every event has a visitor (was the distinct count taken over the right column?)`);
    for (const m of ["m_unique_visitors", "m_unique_users"] as const)
      if (row[m] > row.m_total_events) bad(m, `${row[m]} distinct exceeds m_total_events ${row.m_total_events}; distinct counts cannot exceed the events`);
    const key = JSON.stringify(GROUP_COLUMNS.map((c) => row[c])) + levelName;
    const first = this.seen.get(key);
    if (first !== undefined)
      bad("aggregation_level", `this slice of level ${levelName} already appeared ${first.file === file ? "" : `in ${first.file} `}on line ${first.line}; each slice must appear once`);
    this.seen.set(key, { file, line });
    this.rows.push(row);
  }
}

function toInt(v: unknown): number | null {
  if (typeof v === "number") return Number.isSafeInteger(v) ? v : null;
  if (typeof v !== "string" || !/^\s*-?\d+\s*$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/** Reads every file of one day's aggregate export. */
export async function readAggExport(cfg: DatasetConfig, files: string[], levels: LevelDef[] = DEFAULT_LEVELS): Promise<AggExport> {
  const parser = new RowParser(cfg, levels);
  const limits = inputLimitsFromEnv();
  let rowsRead = 0;
  for (const file of files) {
    let lineNo = 0;
    try {
      const chunks = readText(file, { bytes: 0 }, undefined, limits.maxDecompressedBytes);
      const first = await chunks.next();
      if (first.done) continue;
      if (detectFormat(first.value) === "ndjson") {
        let carry = "";
        const lines = function* (text: string, final: boolean) {
          const all = carry + text;
          const parts = all.split("\n");
          carry = final ? "" : parts.pop()!;
          if (carry.length > limits.maxLineBytes) throw lineTooLongError(file, lineNo + parts.length + 1, limits.maxLineBytes);
          yield* parts;
        };
        const take = (text: string, final: boolean) => {
          for (const raw of lines(text, final)) {
            lineNo++;
            if (raw.length > limits.maxLineBytes) throw lineTooLongError(file, lineNo, limits.maxLineBytes);
            const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
            if (!line.trim()) continue;
            let rec: unknown;
            try {
              rec = JSON.parse(line);
            } catch (err) {
              throw new UserError(`${file}: line ${lineNo}: malformed JSON (${(err as Error).message.split("\n")[0]}).`);
            }
            if (!rec || typeof rec !== "object" || Array.isArray(rec)) throw new UserError(`${file}: line ${lineNo}: expected a JSON object per line.`);
            rowsRead++;
            parser.add(rec as Record<string, unknown>, file, lineNo);
          }
        };
        take(first.value, false);
        for await (const chunk of chunks) take(chunk, false);
        take("", true);
      } else {
        rowsRead += await readCsv(file, first.value, chunks, parser, limits.maxLineBytes);
      }
    } catch (err) {
      if (err instanceof SourceError) throw new UserError(`${file}: ${err.message}.`);
      if (err instanceof CsvError && err.code === "CSV_MAX_RECORD_SIZE") throw lineTooLongError(file, lineNo + 1, limits.maxLineBytes);
      if (err instanceof CsvError) throw new UserError(`${file}: not valid CSV (${err.message.replace(/\.$/, "")}).`);
      throw err;
    }
  }
  return { rows: parser.rows, rowDs: parser.rowDs, rowsRead };
}

async function readCsv(file: string, first: string, rest: AsyncGenerator<string>, parser: RowParser, maxRecordBytes: number): Promise<number> {
  let header: string[] | null = null;
  let columns = new Set<string>();
  let n = 0;
  for await (const { record, info } of csvRecords(first, rest, { skipEmptyRecords: false, maxRecordBytes })) {
    if (!header) {
      header = record.map((h) => h.trim().toLowerCase());
      columns = new Set(header);
      const missing = AGG_REQUIRED_COLUMNS.filter((c) => !header!.includes(c));
      if (missing.length) throw new UserError(`${file}: line ${info.lines}: the CSV header lacks column(s) ${missing.join(", ")}.`);
      continue;
    }
    if (record.length !== header.length)
      throw new UserError(`${file}: line ${info.lines}: expected ${header.length} columns as in the header, got ${record.length}.`);
    const rec: Record<string, unknown> = {};
    header.forEach((h, i) => (rec[h] = record[i]));
    n++;
    parser.add(rec, file, info.lines, columns);
  }
  return n;
}
