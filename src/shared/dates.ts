/** Calendar helpers for partition dates (`ds`, YYYY-MM-DD, always UTC). */

const DS_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

export function isValidDs(ds: string): boolean {
  const m = DS_RE.exec(ds);
  if (!m) return false;
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

export function addDays(ds: string, days: number): string {
  return epochMsToDs(dsToEpochMs(ds) + days * DAY_MS);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(ds: string): number {
  return new Date(dsToEpochMs(ds)).getUTCDay();
}

export const WEEKDAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** Every ds from `from` to `to`, both included. */
export function dsRange(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

export function daysBetween(from: string, to: string): number {
  return Math.round((dsToEpochMs(to) - dsToEpochMs(from)) / DAY_MS);
}
