/** Where a partition's ds comes from (docs/ingest.md): `--ds`, else the rows, else a `ds=YYYY-MM-DD` path segment. */
import { isValidDs } from "../shared/dates.js";
import { UserError } from "../shared/errors.js";

const SEGMENT_RE = /(?:^|[\\/])ds=(\d{4}-\d{2}-\d{2})(?=[\\/]|$|\.)/g;

/** The ds named by a path segment such as `exports/ds=2024-05-01/part-0.ndjson.gz`, or null. */
export function dsFromPath(file: string): string | null {
  let found: string | null = null;
  for (const m of file.matchAll(SEGMENT_RE)) if (isValidDs(m[1])) found = m[1];
  return found;
}

/** The one ds the files' paths agree on (null if none names one); files naming different days are a usage error. */
export function dsFromPaths(files: string[]): string | null {
  let ds: string | null = null;
  let from = "";
  for (const f of files) {
    const d = dsFromPath(f);
    if (d === null) continue;
    if (ds !== null && d !== ds)
      throw new UserError(`${f}: its path says ds=${d} but ${from} says ds=${ds}; one ingest loads one partition (pass --ds to choose).`);
    ds = d;
    from = f;
  }
  return ds;
}
