/** The sentence of a no_data verdict says why, not a generic reason. */
import { afterEach, describe, expect, it } from "vitest";
import fs from "node:fs";
import { evaluateDay } from "../../src/evaluate/index.js";
import { addDays } from "../../src/shared/dates.js";
import type { DB } from "../../src/store/db.js";
import { insertBatch, normalDay, publishDay, smallConfig, tempDb } from "./helpers.js";

const D = "2026-03-10";
const NOW = new Date("2026-03-11T06:00:00Z");
let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

function setup(): DB {
  const t = tempDb();
  cleanup.push(() => (t.db.close(), fs.rmSync(t.dir, { recursive: true, force: true })));
  for (let w = 1; w <= 4; w++) publishDay(t.db, addDays(D, -7 * w), normalDay());
  return t.db;
}

describe("no_data sentences of ratio metrics", () => {
  it("a ratio with no stored numerator/denominator is not called a zero denominator", () => {
    const db = setup();
    // Today as an aggregate export without the levels a ratio needs: the value is stored as undefined, without parts.
    const batch = insertBatch(db, D, "published");
    db.prepare(
      `INSERT INTO metric_values (batch_id, dataset, ds, metric, dimension, value_key, value, numerator, denominator) VALUES (?, 'default', ?, 'signup_conversion_rate', '', '', NULL, NULL, NULL)`,
    ).run(batch, D);
    const v = evaluateDay(db, smallConfig(), { ds: D, now: NOW, persist: false }).verdicts.find((x) => x.metric === "signup_conversion_rate")!;
    expect(v.verdict).toBe("no_data");
    expect(v.message).not.toMatch(/is 0/);
    expect(v.message).toMatch(/could not be computed/);
  });

  it("a zero denominator is still named as such", () => {
    const db = setup();
    publishDay(db, D, { devices: { iPhone: { hits: 0, signups: 0 } } });
    const v = evaluateDay(db, smallConfig(), { ds: D, now: NOW, persist: false }).verdicts.find((x) => x.metric === "signup_conversion_rate")!;
    expect(v.verdict).toBe("no_data");
    expect(v.message).toMatch(/denominator website_hits is 0/);
  });
});
