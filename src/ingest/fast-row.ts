/**
 * The fast path of NDJSON parsing. Most exported lines have one shape: a flat
 * object of plain strings, integers and nulls, with `other_properties` a flat
 * object of strings and a canonical `…T12:34:56.789Z` timestamp. For such a
 * line this scanner builds the EventRow directly (ids as their exact digits
 * or, quoted, as the opaque strings they are,
 * the properties' source text kept to be stored as is), about 3× cheaper
 * than JSON.parse + RowValidator. Anything else (escapes, other number forms,
 * other timestamp forms, a bad or empty value, a wrong ds…) returns null and
 * the line takes the general path, which words every rejection; so the fast
 * path never rejects and never accepts what the general path would reject.
 */
import type { DatasetConfig } from "../config/load.js";
import type { EventRow } from "../shared/types.js";
import { dayClock, dsToEpochMs, type DayClock } from "../shared/dates.js";
import { ownCopy } from "../shared/strings.js";
import { ActionResolver, MAX_ID_LENGTH, isWellFormedHost, parseTimestamp } from "../events/values.js";
import { REQUIRED_COLUMNS } from "../events/validate.js";

/** A control character or a backslash (escape): JSON.parse decides those lines. */
const SPECIAL = /[\u0000-\u001f\\]/;
const INT64_MAX = "9223372036854775807";
const INT64_MIN_ABS = "9223372036854775808";
const UINT64_MAX = "18446744073709551615";
const INT_LIKE = /^[+-]?\d+$/;

function ws(s: string, p: number): number {
  for (;;) {
    const c = s.charCodeAt(p);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) return p;
    p++;
  }
}

/** The text itself when it is a canonical 64-bit integer (signed, or unsigned up to 2^64−1), else null. Digits only: readValue saw to that. */
function canonicalInt(t: string): string | null {
  const neg = t.charCodeAt(0) === 45;
  const len = neg ? t.length - 1 : t.length;
  if (len === 0 || len > 20) return null;
  const first = t.charCodeAt(neg ? 1 : 0);
  if (first === 48) return len === 1 && !neg ? t : null;
  if (len === 20) return !neg && t <= UINT64_MAX ? t : null;
  if (len === 19 && neg && t.slice(1) > INT64_MIN_ABS) return null;
  return t;
}

/** A quoted id: a canonical integer, or the opaque string itself; null for what the general path must judge (other integer spellings, blanks, escapes, control characters, too long). */
function quotedId(t: string): string | null {
  if (t.length > 0 && t.length <= 20) {
    let digits = true;
    for (let i = t.charCodeAt(0) === 45 ? 1 : 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c < 48 || c > 57) {
        digits = false;
        break;
      }
    }
    if (digits) return canonicalInt(t);
  }
  if (!plain(t) || t.length > MAX_ID_LENGTH || INT_LIKE.test(t)) return null;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 32 || c === 92 || c === 127) return null;
  }
  return t;
}

/** Non-empty and without surrounding blanks, so trimming would not change it. */
function plain(v: string): boolean {
  return v.length > 0 && v.charCodeAt(0) > 32 && v.charCodeAt(v.length - 1) > 32;
}

export class FastRowParser {
  /** Source text of the last parsed row's other_properties. */
  propsText = "{}";
  private readonly dayStart: number;
  /** The partition's day in the dataset's zone; `utcDay` when that is a plain UTC day and naive times are UTC too. */
  private readonly clock: DayClock;
  private readonly utcDay: boolean;
  private readonly naiveZone: string;
  private readonly hostOk = new Map<string, boolean>();
  private readonly userRequired: boolean;
  private readonly deviceRequired: boolean;
  private readonly dsRequired: boolean;
  private readonly propsRequired: boolean;
  private readonly enumOn: boolean;
  private readonly hostOn: boolean;

  constructor(
    cfg: DatasetConfig,
    private readonly ds: string,
    private readonly actions: ActionResolver,
  ) {
    this.dayStart = dsToEpochMs(ds);
    this.clock = dayClock(ds, cfg.timezone);
    this.naiveZone = cfg.naive_timestamps === "utc" ? "UTC" : cfg.timezone;
    this.utcDay = cfg.timezone === "UTC";
    const c = cfg.checks;
    const required = new Set([...(c.not_null.enabled ? c.not_null.columns : []), ...REQUIRED_COLUMNS]);
    this.userRequired = required.has("user_id");
    this.deviceRequired = required.has("dim_device_brand");
    this.dsRequired = required.has("ds");
    this.propsRequired = required.has("other_properties");
    this.enumOn = c.action_enum.enabled;
    this.hostOn = c.hostname_format.enabled;
  }

  /**
   * The key prefixes of the last line that parsed (`{"user_id":`,
   * `,"logged_out_user_id":`, …) and their fields: exports write every line
   * with the same keys in the same order, so the next line is first read
   * against them, one startsWith per field instead of finding, naming and
   * checking each key. Any difference falls back to the general scan.
   */
  private shapeKeys: string[] = [];
  private shapeFields: number[] = [];
  // The values of the line being read (fields, not locals, so readValue can set them).
  private user: string | null | undefined;
  private lou: string | null | undefined;
  /** The ids were written as JSON strings. */
  private userQuoted = false;
  private louQuoted = false;
  private host: string | null | undefined;
  private country: string | null | undefined;
  private device: string | null | undefined;
  private action: string | null | undefined;
  private ts: string | null | undefined;
  private dsv: string | null | undefined;
  private props: Record<string, string> | null | undefined;
  private propsStart = -1;
  private propsEnd = -1;
  /**
   * The shape's run of dimension fields (hostname, country, device, action),
   * read as one piece: its text repeats across lines (a few sites, countries,
   * devices and actions), so a cache maps it to the checked values, shared
   * strings whose hashes V8 keeps for every later Map lookup.
   */
  private dimRun: { from: number; to: number; endKey: string | null } | null = null;
  private readonly dimCache = new Map<string, Dims | false>();
  /** The dimensions of the line being read were checked (taken from the cache). */
  private dimsChecked = false;

  parse(s: string, line: number): EventRow | null {
    // A line read against the shape has every character checked on the way
    // (see scanShaped); any other line is first searched for escapes and
    // control characters, which only JSON.parse may judge.
    if (this.dimRun === null || !this.scanShaped(s)) {
      if (SPECIAL.test(s)) return null;
      if (!this.scan(s)) return null;
    }
    return this.row(s, line);
  }

  private reset(): void {
    this.dimsChecked = false;
    this.user = this.lou = this.host = this.country = this.device = this.action = this.ts = this.dsv = undefined;
    this.props = undefined;
    this.propsStart = this.propsEnd = -1;
  }

  /**
   * Reads the line against the learnt shape; false when it differs anywhere.
   * No escape or control character can pass unseen: keys match known text,
   * ids are digits, the timestamp and ds are compared with fixed forms, a
   * dimension run is searched when first seen (the cache only holds runs
   * that passed), and other_properties is searched here.
   */
  private scanShaped(s: string): boolean {
    this.reset();
    const keys = this.shapeKeys;
    const fields = this.shapeFields;
    const run = this.dimRun;
    let p = 0;
    for (let k = 0; k < keys.length; k++) {
      if (run !== null && k === run.from) {
        const end = run.endKey === null ? s.length - 1 : s.indexOf(run.endKey, p);
        if (end < 0) return false;
        const text = s.slice(p, end);
        let dims = this.dimCache.get(text);
        if (dims === undefined) {
          dims = this.readDims(s, p, end, run.from, run.to);
          if (this.dimCache.size < DIM_CACHE_MAX) this.dimCache.set(ownCopy(text), dims);
        }
        if (dims === false) return false;
        this.host = dims.host;
        this.country = dims.country;
        this.device = dims.device;
        this.action = dims.action;
        this.dimsChecked = true;
        p = end;
        k = run.to;
        continue;
      }
      const key = keys[k];
      if (!s.startsWith(key, p)) return false;
      p = this.readValue(s, p + key.length, fields[k]);
      if (p < 0) return false;
    }
    if (p !== s.length - 1 || s.charCodeAt(p) !== 125) return false;
    return this.propsStart < 0 || !SPECIAL.test(s.slice(this.propsStart, this.propsEnd));
  }

  /** Reads and checks the dimension run in s[p, end): its values (shared copies, the action canonical), or false. */
  private readDims(s: string, start: number, end: number, from: number, to: number): Dims | false {
    let p = start;
    for (let k = from; k <= to; k++) {
      const key = this.shapeKeys[k];
      if (!s.startsWith(key, p)) return false;
      p = this.readValue(s, p + key.length, this.shapeFields[k]);
      if (p < 0) return false;
    }
    if (p !== end || SPECIAL.test(s.slice(start, end))) return false;
    const action = this.checkDims(this.host, this.country, this.device, this.action);
    if (action === null) return false;
    const device = this.device;
    return { host: ownCopy(this.host!), country: ownCopy(this.country!), device: device == null ? null : ownCopy(device), action };
  }

  /** The canonical action when the dimension values pass what the general path checks, else null. */
  private checkDims(
    host: string | null | undefined,
    country: string | null | undefined,
    device: string | null | undefined,
    action: string | null | undefined,
  ): string | null {
    if (host == null || country == null || action == null) return null;
    if (!plain(host) || !plain(country) || !plain(action)) return null;
    if (device != null) {
      if (!plain(device)) return null;
    } else if (this.deviceRequired) return null;
    const act = this.actions.canonical(action);
    if (this.enumOn && !this.actions.allowed.has(act)) return null;
    if (this.hostOn) {
      let ok = this.hostOk.get(host);
      if (ok === undefined) {
        ok = isWellFormedHost(host);
        if (this.hostOk.size < 100_000) this.hostOk.set(host, ok);
      }
      if (!ok) return null;
    }
    return act;
  }

  /** The general scan of a flat object (any key order, whitespace, unknown keys); learns the shape when it succeeds. */
  private scan(s: string): boolean {
    this.reset();
    let p = ws(s, 0);
    if (s.charCodeAt(p) !== 123) return false;
    p = ws(s, p + 1);
    const keys: string[] = [];
    const fields: number[] = [];
    let compact = p === 1;
    for (;;) {
      if (s.charCodeAt(p) !== 34) return false;
      const ke = s.indexOf('"', p + 1);
      if (ke < 0) return false;
      const field = fieldOf(s, p + 1, ke - p - 1);
      let q = ws(s, ke + 1);
      if (s.charCodeAt(q) !== 58) return false;
      compact &&= q === ke + 1;
      keys.push((keys.length === 0 ? "{" : ",") + s.slice(p, q + 1));
      fields.push(field);
      q = ws(s, q + 1);
      compact &&= s.charCodeAt(q - 1) === 58;
      p = this.readValue(s, q, field);
      if (p < 0) return false;
      const after = ws(s, p);
      compact &&= after === p;
      p = after;
      const d = s.charCodeAt(p);
      if (d === 44) {
        const next = ws(s, p + 1);
        compact &&= next === p + 1;
        p = next;
        continue;
      }
      if (d === 125 && ws(s, p + 1) === s.length) break;
      return false;
    }
    // Only a compact line (no blanks between tokens) and no unknown keys make a shape worth trying first.
    if (compact && p === s.length - 1 && !fields.includes(F_OTHER)) {
      // Flat copies: a concatenation or a slice of the line would be re-walked on every startsWith.
      this.shapeKeys = keys.map((k) => Buffer.from(k, "utf8").toString("utf8"));
      this.shapeFields = fields;
      this.dimRun = dimRunOf(fields, this.shapeKeys);
    }
    return true;
  }

  /** Reads the value at `p` into the field's slot; the index after it, or -1 for what only the general path may judge. */
  private readValue(s: string, p: number, field: number): number {
    const c = s.charCodeAt(p);
    let str: string | null = null;
    let num = false;
    if (c === 34) {
      const e = s.indexOf('"', p + 1);
      if (e < 0) return -1;
      str = s.slice(p + 1, e);
      p = e + 1;
    } else if (c === 110) {
      if (!s.startsWith("null", p)) return -1;
      p += 4;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const st = p;
      if (c === 45) p++;
      while (s.charCodeAt(p) >= 48 && s.charCodeAt(p) <= 57) p++;
      const d = s.charCodeAt(p);
      if (d === 46 || d === 101 || d === 69) return -1;
      str = s.slice(st, p);
      num = true;
    } else if (c === 123 && field === F_PROPS) {
      const obj: Record<string, string> = {};
      const end = this.object(s, p, obj);
      if (end < 0) return -1;
      this.props = obj;
      this.propsStart = p;
      this.propsEnd = end;
      return end;
    } else return -1;
    switch (field) {
      case F_USER:
        this.user = str;
        this.userQuoted = !num;
        break;
      case F_LOU:
        this.lou = str;
        this.louQuoted = !num;
        break;
      case F_PROPS:
        if (str !== null) return -1;
        this.props = null;
        break;
      case F_OTHER:
        break;
      default:
        if (num) return -1;
        if (field === F_HOST) this.host = str;
        else if (field === F_COUNTRY) this.country = str;
        else if (field === F_DEVICE) this.device = str;
        else if (field === F_ACTION) this.action = str;
        else if (field === F_TS) this.ts = str;
        else this.dsv = str;
    }
    return p;
  }

  /** Validates the values read and builds the row, or null for the general path. */
  private row(s: string, line: number): EventRow | null {
    const { user, lou, host, country, device, ts, dsv: ds } = this;
    let props = this.props;
    if (lou == null || ts == null) return null;
    const act = this.dimsChecked ? this.action! : this.checkDims(host, country, device, this.action);
    if (act === null) return null;
    const louText = this.louQuoted ? quotedId(lou) : canonicalInt(lou);
    if (louText === null) return null;
    let userText: string | null = null;
    if (user != null) {
      userText = this.userQuoted ? quotedId(user) : canonicalInt(user);
      if (userText === null) return null;
    } else if (this.userRequired) return null;
    if (ds != null) {
      if (ds !== this.ds) return null;
    } else if (this.dsRequired) return null;
    let propsText = "{}";
    if (props == null) {
      if (this.propsRequired) return null;
      props = {};
    } else propsText = s.slice(this.propsStart, this.propsEnd);
    const ms = this.timestamp(ts);
    if (ms < 0) return null;
    this.propsText = propsText;
    return {
      line,
      user_id: userText,
      logged_out_user_id: louText,
      dim_hostname: host!,
      dim_country: country!,
      dim_device_brand: device ?? null,
      action_type: act,
      event_ms: ms,
      other_properties: props,
      ds: this.ds,
    };
  }

  /** A flat object of string values into `out` (last duplicate key wins, as JSON.parse); the index after `}` or -1. */
  private object(s: string, p: number, out: Record<string, string>): number {
    p = ws(s, p + 1);
    if (s.charCodeAt(p) === 125) return p + 1;
    for (;;) {
      if (s.charCodeAt(p) !== 34) return -1;
      const ke = s.indexOf('"', p + 1);
      if (ke < 0) return -1;
      const key = propKey(s, p + 1, ke - p - 1);
      p = ws(s, ke + 1);
      if (s.charCodeAt(p) !== 58) return -1;
      p = ws(s, p + 1);
      if (s.charCodeAt(p) !== 34) return -1;
      const ve = s.indexOf('"', p + 1);
      if (ve < 0) return -1;
      // __proto__ would not become an own property: leave such lines to JSON.parse.
      if (key === "__proto__") return -1;
      out[key] = s.slice(p + 1, ve);
      p = ws(s, ve + 1);
      const d = s.charCodeAt(p);
      if (d === 44) {
        p = ws(s, p + 1);
        continue;
      }
      return d === 125 ? p + 1 : -1;
    }
  }

  /**
   * Epoch ms of `<ds>THH:MM:SS.mmmZ` (inside a UTC partition day by
   * construction); in another zone, any form inside the day's bounds; else -1.
   */
  private timestamp(t: string): number {
    if (!this.utcDay) {
      const ms = parseTimestamp(t, this.naiveZone, this.clock);
      return ms >= this.clock.start && ms < this.clock.end ? ms : -1;
    }
    if (t.length !== 24 || !t.startsWith(this.ds) || t.charCodeAt(10) !== 84 || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58)
      return -1;
    if (t.charCodeAt(19) !== 46 || t.charCodeAt(23) !== 90) return -1;
    const h = two(t, 11);
    const m = two(t, 14);
    const sec = two(t, 17);
    const ms = two(t, 20) * 10 + digit(t, 22);
    if (!(h < 24 && m < 60 && sec < 60 && ms >= 0)) return -1;
    return this.dayStart + ((h * 60 + m) * 60 + sec) * 1000 + ms;
  }
}

const F_OTHER = 0, F_USER = 1, F_LOU = 2, F_HOST = 3, F_COUNTRY = 4, F_DEVICE = 5, F_ACTION = 6, F_TS = 7, F_PROPS = 8, F_DS = 9;

interface Dims {
  host: string;
  country: string;
  device: string | null;
  action: string;
}

/** Distinct dimension runs cached per parser (a few thousand in practice). */
const DIM_CACHE_MAX = 50_000;
const DIM_FIELDS = new Set([F_HOST, F_COUNTRY, F_DEVICE, F_ACTION]);


/**
 * The run of consecutive dimension fields in a shape, with the key that
 * follows it, when the shape names each of the four exactly once and
 * together (else null: such lines take the general scan).
 */
function dimRunOf(fields: number[], keys: string[]): { from: number; to: number; endKey: string | null } | null {
  const from = fields.findIndex((f) => DIM_FIELDS.has(f));
  if (from < 0) return null;
  const to = from + DIM_FIELDS.size - 1;
  const run = fields.slice(from, to + 1);
  if (new Set(run).size !== DIM_FIELDS.size || !run.every((f) => DIM_FIELDS.has(f))) return null;
  if (fields.filter((f) => DIM_FIELDS.has(f)).length !== DIM_FIELDS.size) return null;
  return { from, to, endKey: to + 1 < keys.length ? keys[to + 1] : null };
}


/** Which column the key at s[at, at+len) names, without allocating it (length first, then one compare). */
function fieldOf(s: string, at: number, len: number): number {
  let f = F_OTHER;
  let name = "";
  switch (len) {
    case 7: (f = F_USER), (name = "user_id"); break;
    case 18: (f = F_LOU), (name = "logged_out_user_id"); break;
    case 12: (f = F_HOST), (name = "dim_hostname"); break;
    case 11: s.charCodeAt(at) === 100 ? ((f = F_COUNTRY), (name = "dim_country")) : ((f = F_ACTION), (name = "action_type")); break;
    case 16: s.charCodeAt(at) === 100 ? ((f = F_DEVICE), (name = "dim_device_brand")) : ((f = F_PROPS), (name = "other_properties")); break;
    case 15: (f = F_TS), (name = "event_timestamp"); break;
    case 2: (f = F_DS), (name = "ds"); break;
    default: return F_OTHER;
  }
  return s.startsWith(name, at) ? f : F_OTHER;
}

const KNOWN_PROPS = ["referrer", "utm_source", "utm_medium", "url", "product_type", "product_id", "app_version", "event_id"];

/** A property name, as a shared constant string when it is a known one (stable object shapes, no allocation). */
function propKey(s: string, at: number, len: number): string {
  for (const k of KNOWN_PROPS) if (k.length === len && s.startsWith(k, at)) return k;
  return s.slice(at, at + len);
}

function digit(t: string, i: number): number {
  const d = t.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : NaN;
}
function two(t: string, i: number): number {
  return digit(t, i) * 10 + digit(t, i + 1);
}
