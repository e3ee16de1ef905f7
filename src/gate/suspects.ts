/**
 * Which suspect commits a deploy reverts. Suspects are named by the app
 * (H5's `suspects` table) for each failing day; a deploy that reverts one of
 * them is the fix and may go out during the freeze.
 */
import type { DB } from "../store/db.js";
import { addDays } from "../shared/dates.js";

/** Suspect SHAs of the repo's dataset named for `ds` or the two weeks before (a freeze can last days). */
export function suspectShasFor(db: DB, repo: string, dataset: string, ds: string): string[] {
  try {
    const rows = db
      .prepare(`SELECT DISTINCT sha FROM suspects WHERE repo = ? AND dataset = ? AND ds <= ? AND ds >= ?`)
      .all(repo, dataset, ds, addDays(ds, -14)) as { sha: string }[];
    return rows.map((r) => r.sha.toLowerCase());
  } catch {
    // The suspects table belongs to the app's migration; without it there are no suspects.
    return [];
  }
}

/** Reverted SHAs that are suspects; either side may be abbreviated (≥ 7 hex digits). */
export function matchReverts(reverted: string[], suspects: string[]): string[] {
  const out: string[] = [];
  for (const r of reverted.map((s) => s.toLowerCase()).filter((s) => /^[0-9a-f]{7,64}$/.test(s))) {
    const hit = suspects.find((s) => s.startsWith(r) || r.startsWith(s));
    if (hit && !out.includes(hit)) out.push(hit);
  }
  return out;
}

/** SHAs named by `This reverts commit <sha>` lines of a commit message (git's revert template). */
export function revertedInMessage(message: string): string[] {
  const out: string[] = [];
  for (const m of message.matchAll(/This reverts commit ([0-9a-f]{7,64})/gi)) out.push(m[1]!.toLowerCase());
  return out;
}
