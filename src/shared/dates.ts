/** Calendar helpers for partition dates (`ds`, YYYY-MM-DD, always UTC). */

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

/** Hours from the end of day `ds` (midnight UTC after it) to `now`; negative while the day lasts. Staleness is measured this way. */
export function hoursSinceDayEnd(ds: string, now: Date): number {
  return (now.getTime() - dsToEpochMs(ds) - DAY_MS) / 3_600_000;
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
