/** Calendar helpers for partition dates (`ds`, YYYY-MM-DD: calendar arithmetic on the date itself), and the bounds of a ds in a dataset's time zone. */

const DS_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/**
 * The days a partition may have (docs/ingest.md): 2000-01-01 … 2100-12-31.
 * A day outside is a typo or an attack (`9999-12-31` once sent the dashboard
 * into an endless loop and made every real day "older than the newest").
 */
export const MIN_DS = "2000-01-01";
export const MAX_DS = "2100-12-31";
/** How the bound is worded in every error sentence ("expected a date YYYY-MM-DD between …"). */
export const DS_BOUNDS = `between ${MIN_DS} and ${MAX_DS}`;

export function isValidDs(ds: string): boolean {
  const m = DS_RE.exec(ds);
  if (!m) return false;
  if (ds < MIN_DS || ds > MAX_DS) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.toISOString().slice(0, 10) === ds;
}

export function dsToEpochMs(ds: string): number {
  return Date.parse(`${ds}T00:00:00Z`);
}

export function epochMsToDs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Years 0000–9999 only: past them `toISOString` grows a sign (`+010000-…`) that sorts before every day, so a loop `d <= to` would never end. */
const EPOCH_MIN_MS = Date.parse("0000-01-01T00:00:00Z");
const EPOCH_MAX_MS = Date.parse("9999-12-31T00:00:00Z");
export function addDays(ds: string, days: number): string {
  const ms = dsToEpochMs(ds) + days * DAY_MS;
  if (!(ms >= EPOCH_MIN_MS && ms <= EPOCH_MAX_MS)) throw new RangeError(`addDays(${ds}, ${days}) leaves the years 0000–9999.`);
  return epochMsToDs(ms);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(ds: string): number {
  return new Date(dsToEpochMs(ds)).getUTCDay();
}

export const WEEKDAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** The longest range `dsRange` lists: the whole 2000–2100 span. */
export const MAX_RANGE_DAYS = 36_890;

/** Every ds from `from` to `to`, both included; bounded, whatever the input. */
export function dsRange(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to && out.length <= MAX_RANGE_DAYS; d = addDays(d, 1)) out.push(d);
  if (out.length > MAX_RANGE_DAYS) throw new RangeError(`dsRange(${from}, ${to}) spans more than ${MAX_RANGE_DAYS} days.`);
  return out;
}

export function daysBetween(from: string, to: string): number {
  return Math.round((dsToEpochMs(to) - dsToEpochMs(from)) / DAY_MS);
}

// ------------------------------------------------------------ the dataset's own day (docs/ingest.md, "Time zones")

/** True when `tz` is an IANA time-zone name this Node knows (`UTC`, `America/Los_Angeles`…). */
export function isTimeZone(tz: string): boolean {
  if (tz === "UTC") return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return tz.length > 0;
  } catch {
    // Intl throws a RangeError for a zone it does not know: that is the answer.
    return false;
  }
}

const FORMATTERS = new Map<string, Intl.DateTimeFormat>();

/** Offset of zone `tz` from UTC at instant `ms`, in milliseconds (local = UTC + offset). */
export function zoneOffsetMs(ms: number, tz: string): number {
  if (tz === "UTC") return 0;
  let f = FORMATTERS.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    FORMATTERS.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms))) if (part.type !== "literal") p[part.type] = +part.value;
  const local = Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second);
  return local - (ms - (((ms % 1000) + 1000) % 1000));
}

/** The calendar day (`ds`) of instant `ms` in zone `tz`. */
export function dsInZone(ms: number, tz: string): string {
  return epochMsToDs(ms + zoneOffsetMs(ms, tz));
}

/**
 * One calendar day of a time zone: its bounds [start, end) as UTC epoch ms,
 * the offsets in force inside it (a DST day has two), and how many real hours
 * each local wall-clock hour 0–23 lasts (0 for the hour a spring-forward
 * skips, 2 for the hour a fall-back repeats; 1 otherwise).
 */
export interface DayClock {
  ds: string;
  tz: string;
  start: number;
  end: number;
  /** Offsets in force from `from` on, in time order; the first from `start`. */
  segments: { from: number; offset: number }[];
  hourLengths: number[];
  /** Real hours in the day: 24, or 23 / 25 on a DST day. */
  hours: number;
}

const CLOCKS = new Map<string, DayClock>();
const HOUR_MS = 3_600_000;
const STEP_MS = 15 * 60_000;

/** The DayClock of `ds` in `tz` (cached). */
export function dayClock(ds: string, tz = "UTC"): DayClock {
  const key = `${tz}|${ds}`;
  let c = CLOCKS.get(key);
  if (c) return c;
  const dsMs = dsToEpochMs(ds);
  let start = dsMs;
  let end = dsMs + DAY_MS;
  const segments = [{ from: start, offset: 0 }];
  const hourLengths = new Array<number>(24).fill(1);
  if (tz !== "UTC") {
    start = firstInstantOfDay(dsMs, tz);
    end = firstInstantOfDay(dsMs + DAY_MS, tz);
    segments[0] = { from: start, offset: zoneOffsetMs(start, tz) };
    hourLengths.fill(0);
    for (let t = start; t < end; t += STEP_MS) {
      let off = zoneOffsetMs(t, tz);
      if (off !== segments[segments.length - 1].offset) {
        // The change happened in (t - STEP, t]: find its minute.
        let lo = t - STEP_MS;
        let hi = t;
        while (hi - lo > 60_000) {
          const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
          if (zoneOffsetMs(mid, tz) === off) hi = mid;
          else lo = mid;
        }
        segments.push({ from: hi, offset: off });
      }
      off = segments[segments.length - 1].offset;
      const localHour = Math.floor((((t + off) % DAY_MS) + DAY_MS) % DAY_MS / HOUR_MS);
      hourLengths[localHour] += STEP_MS / HOUR_MS;
    }
  }
  c = { ds, tz, start, end, segments, hourLengths, hours: Math.round((end - start) / HOUR_MS) };
  if (CLOCKS.size > 10_000) CLOCKS.clear();
  CLOCKS.set(key, c);
  return c;
}

/** The first instant whose local date in `tz` is on or after the UTC-midnight `dayMs` names (binary search to the ms). */
function firstInstantOfDay(dayMs: number, tz: string): number {
  let lo = dayMs - 15 * HOUR_MS; // local date still before (offsets are at most +14 h)
  let hi = dayMs + 15 * HOUR_MS; // local date already there (offsets are at least −12 h)
  const reached = (t: number) => t + zoneOffsetMs(t, tz) >= dayMs;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (reached(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The local wall-clock hour (0–23) of instant `ms` inside the clock's day. */
export function localHour(clock: DayClock, ms: number): number {
  const s = clock.segments;
  let off = s[0].offset;
  for (let i = 1; i < s.length && ms >= s[i].from; i++) off = s[i].offset;
  return Math.floor((((ms + off) % DAY_MS) + DAY_MS) % DAY_MS / HOUR_MS);
}

/**
 * UTC epoch ms of a local wall-clock time (given as the epoch ms it would be
 * in UTC) in `tz`. A time a fall-back repeats is its first occurrence; a time
 * a spring-forward skips is read with the offset before the change (so
 * 02:30 on a US spring-forward day is 03:30 daylight time), as a tracker's
 * clock would have moved on.
 */
export function localToUtcMs(localMs: number, tz: string): number {
  if (tz === "UTC") return localMs;
  const before = zoneOffsetMs(localMs - DAY_MS / 2, tz);
  const after = zoneOffsetMs(localMs + DAY_MS / 2, tz);
  const early = localMs - before;
  if (zoneOffsetMs(early, tz) === before) return early;
  const late = localMs - after;
  if (zoneOffsetMs(late, tz) === after) return late;
  return early;
}

/**
 * localToUtcMs() for a local time, read through the offsets of one day
 * (no time-zone lookup per row): the first occurrence of a repeated time,
 * the offset before the change for a skipped one.
 */
export function clockLocalToUtc(clock: DayClock, localMs: number): number {
  const dayStart = dsToEpochMs(clock.ds);
  if (localMs < dayStart || localMs >= dayStart + DAY_MS) return localToUtcMs(localMs, clock.tz);
  const s = clock.segments;
  for (let i = 0; i < s.length; i++) {
    const utc = localMs - s[i].offset;
    if (utc >= s[i].from && (i + 1 === s.length || utc < s[i + 1].from)) return utc;
  }
  // A time the clocks skipped: the first segment's offset is the one before the change.
  for (let i = 1; i < s.length; i++) if (localMs - s[i - 1].offset >= s[i].from) return localMs - s[i - 1].offset;
  return localMs - s[0].offset;
}

/** Hours from the end of day `ds` in `tz` to `now`; negative while the day lasts. Staleness is measured this way. */
export function hoursSinceZoneDayEnd(ds: string, tz: string, now: Date): number {
  return (now.getTime() - dayClock(ds, tz).end) / 3_600_000;
}
