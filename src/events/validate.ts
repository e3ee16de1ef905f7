/**
 * One parsed record (an NDJSON object or a CSV row keyed by header) → an
 * `EventRow`, or a rejection naming the check it fails and one sentence
 * naming the field and what was expected.
 */
import type { DatasetConfig } from "../config/load.js";
import type { EventRow } from "../shared/types.js";
import { dayClock, isValidDs, DS_BOUNDS, type DayClock } from "../shared/dates.js";
import { ActionResolver, MAX_ID_LENGTH, isWellFormedHost, parseId, parseIntId, parseTimestamp, shown } from "./values.js";

/** Row-level checks, in the order a row is judged (a row is rejected by the first it fails). */
export const ROW_CHECKS = ["row_format", "not_null", "action_enum", "hostname_format", "ds_consistency", "timestamp_in_day", "duplicates"] as const;
export type RowCheck = (typeof ROW_CHECKS)[number];

export interface RowReject {
  check: RowCheck;
  reason: string;
}

/** Columns the table cannot store without: a null here is rejected even when not_null is disabled. */
export const REQUIRED_COLUMNS = ["logged_out_user_id", "dim_hostname", "dim_country", "action_type", "event_timestamp"];
export const KNOWN_COLUMNS = [...REQUIRED_COLUMNS, "user_id", "dim_device_brand", "other_properties", "ds"];

/** What an id column holds (docs/ingest.md, "Visitor ids"). */
const ID_FORMS = `a 64-bit integer (signed or unsigned) or a string of 1–${MAX_ID_LENGTH} characters`;

export function isNull(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === "string" && (v.length === 0 || v.trim().length === 0 || v === "\\N"));
}

export class RowValidator {
  private readonly actions: ActionResolver;
  private readonly hostOk = new Map<string, boolean>();
  private readonly nullChecked: { col: string; check: RowCheck }[];
  private readonly clock: DayClock;
  private readonly naiveZone: string;
  private readonly enumOn: boolean;
  private readonly hostOn: boolean;
  private readonly dayOn: boolean;
  private readonly dsOn: boolean;
  private lastGoodDs: unknown = undefined;

  constructor(
    cfg: DatasetConfig,
    readonly ds: string,
  ) {
    const c = cfg.checks;
    this.actions = new ActionResolver(cfg.action_types, cfg.action_aliases);
    const configured = c.not_null.enabled ? c.not_null.columns : [];
    const cols = [...new Set([...configured, ...REQUIRED_COLUMNS])];
    this.nullChecked = cols.map((col) => ({ col, check: configured.includes(col) ? "not_null" : "row_format" }));
    this.clock = dayClock(ds, cfg.timezone);
    this.naiveZone = cfg.naive_timestamps === "utc" ? "UTC" : cfg.timezone;
    this.enumOn = c.action_enum.enabled;
    this.hostOn = c.hostname_format.enabled;
    this.dayOn = c.timestamp_in_day.enabled;
    this.dsOn = c.ds_consistency.enabled;
  }

  /** `rawLine` is the NDJSON text, used to recover ids beyond 2^53 exactly. */
  validate(rec: Record<string, unknown>, line: number, rawLine: string | null): EventRow | RowReject {
    for (const { col, check } of this.nullChecked) {
      if (isNull(rec[col])) return { check, reason: `${col} is empty; expected a value.` };
    }
    const lou = id(rec.logged_out_user_id, "logged_out_user_id", rawLine);
    if (lou === undefined)
      return badType("logged_out_user_id", rec.logged_out_user_id, ID_FORMS, idAsWritten(rec.logged_out_user_id, "logged_out_user_id", rawLine));
    let user: string | null = null;
    if (!isNull(rec.user_id)) {
      const u = id(rec.user_id, "user_id", rawLine);
      if (u === undefined) return badType("user_id", rec.user_id, `${ID_FORMS}, or nothing`, idAsWritten(rec.user_id, "user_id", rawLine));
      user = u;
    }
    const host = rec.dim_hostname;
    if (typeof host !== "string") return badType("dim_hostname", host, "a string");
    const country = rec.dim_country;
    if (typeof country !== "string") return badType("dim_country", country, "a string");
    const deviceRaw = rec.dim_device_brand;
    let device: string | null = null;
    if (!isNull(deviceRaw)) {
      if (typeof deviceRaw !== "string") return badType("dim_device_brand", deviceRaw, "a string or nothing");
      device = deviceRaw;
    }
    const actionRaw = rec.action_type;
    if (typeof actionRaw !== "string") return badType("action_type", actionRaw, "a string");
    const tsRaw = rec.event_timestamp;
    const ms = typeof tsRaw === "string" ? parseTimestamp(tsRaw.trim(), this.naiveZone, this.clock) : NaN;
    if (Number.isNaN(ms))
      return badType("event_timestamp", tsRaw, `an ISO-8601 time with Z or an offset, or "YYYY-MM-DD HH:MM:SS[.fff]" in ${this.naiveZone === "UTC" ? "UTC" : `local time (${this.naiveZone})`}`);
    const props = properties(rec.other_properties);
    if (props === undefined) return badType("other_properties", rec.other_properties, "a JSON object of strings");
    let rowDs: string | null = null;
    if (!isNull(rec.ds)) {
      const v = rec.ds;
      // Nearly every row repeats the same ds: validate each distinct spelling once.
      if (v !== this.lastGoodDs) {
        if (typeof v !== "string" || !isValidDs(v.trim())) return badType("ds", v, `a date YYYY-MM-DD ${DS_BOUNDS}`);
        this.lastGoodDs = v;
      }
      rowDs = (v as string).trim();
    }

    const action = this.actions.canonical(actionRaw);
    if (this.enumOn && !this.actions.allowed.has(action))
      return {
        check: "action_enum",
        reason: `action_type ${shown(actionRaw)} is not one of ${[...this.actions.allowed].join(", ")} (aliases applied).`,
      };
    if (this.hostOn) {
      let ok = this.hostOk.get(host);
      if (ok === undefined) {
        ok = isWellFormedHost(host);
        if (this.hostOk.size < 100_000) this.hostOk.set(host, ok);
      }
      if (!ok) return { check: "hostname_format", reason: `dim_hostname ${shown(host)} is not a lower-case host name such as www.example.com.` };
    }
    if (this.dsOn && rowDs !== null && rowDs !== this.ds)
      return { check: "ds_consistency", reason: `ds ${rowDs} differs from the partition's ds ${this.ds}.` };
    if (this.dayOn && (ms < this.clock.start || ms >= this.clock.end))
      return { check: "timestamp_in_day", reason: outsideDay(ms, this.clock) };

    return {
      line,
      user_id: user,
      logged_out_user_id: lou,
      dim_hostname: host,
      dim_country: country.trim(),
      dim_device_brand: device,
      action_type: action,
      event_ms: ms,
      other_properties: props,
      ds: this.ds,
    };
  }
}

/** Why an instant is not inside the partition's day, in the dataset's zone. */
function outsideDay(ms: number, clock: DayClock): string {
  const iso = new Date(ms).toISOString();
  if (clock.tz === "UTC") return `event_timestamp ${iso} is outside the partition day ${clock.ds} (UTC).`;
  const bound = (t: number) => new Date(t).toISOString().slice(0, 16) + "Z";
  return `event_timestamp ${iso} is outside the partition day ${clock.ds} in ${clock.tz} (${bound(clock.start)} to ${bound(clock.end)}).`;
}

function badType(field: string, value: unknown, expected: string, asWritten?: string): RowReject {
  return { check: "row_format", reason: `${field}: expected ${expected}, got ${asWritten ?? shown(value)}.` };
}

/** The digits of a JSON number as the line wrote them (JSON.parse rounds beyond 2^53; the message must not show another number). */
function idAsWritten(v: unknown, field: string, rawLine: string | null): string | undefined {
  if (typeof v !== "number" || Number.isSafeInteger(v) || rawLine === null) return undefined;
  const m = idPattern(field).exec(rawLine);
  return m ? (m[1].length > 40 ? m[1].slice(0, 37) + "…" : m[1]) : undefined;
}

const ID_PATTERNS = new Map<string, RegExp>();
function idPattern(field: string): RegExp {
  let re = ID_PATTERNS.get(field);
  if (!re) ID_PATTERNS.set(field, (re = new RegExp(`"${field}"\\s*:\\s*(-?[0-9][0-9.eE+-]*)`)));
  return re;
}

/** Exact text of an id (an integer's canonical digits, or an opaque string); undefined when it is neither. */
function id(v: unknown, field: string, rawLine: string | null): string | undefined {
  if (typeof v === "string") return parseId(v) ?? undefined;
  if (typeof v === "number") {
    if (Number.isSafeInteger(v)) return String(v);
    // JSON.parse rounded it: read the digits from the line itself.
    if (rawLine === null) return undefined;
    const m = idPattern(field).exec(rawLine);
    return m ? (parseIntId(m[1]) ?? undefined) : undefined;
  }
  return undefined;
}

/** MAP<STRING,STRING>: an object (NDJSON) or its JSON text (CSV); scalar values become strings. */
function properties(v: unknown): Record<string, string> | undefined {
  if (isNull(v)) return {};
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      // Not JSON text: undefined files the row as a reject naming the field.
      return undefined;
    }
    if (v === null) return {};
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const obj = v as Record<string, unknown>;
  for (const k in obj) {
    const x = obj[k];
    if (typeof x !== "string") {
      if (x === null || x === undefined) delete obj[k];
      else obj[k] = typeof x === "object" ? JSON.stringify(x) : String(x);
    }
  }
  return obj as Record<string, string>;
}
