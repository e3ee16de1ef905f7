/**
 * Completeness before publishing (docs/ingest.md, "Completeness"): damaged
 * copies of ordinary exports are refused, ordinary days pass, --allow-partial
 * publishes them marked partial, and a day that has not ended is refused.
 */
import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { openDb, type DB } from "../../src/store/db.js";
import { dayStatus, partialReason } from "../../src/store/partitions.js";
import { judgeDay } from "../../src/evaluate/evaluate.js";
import { addDays } from "../../src/shared/dates.js";
import { runCli } from "../support/run-cli.js";
import type { CheckResult } from "../../src/shared/types.js";
import type { DayShape } from "../../src/store/partitions.js";
import { dayLengthFactors } from "../../src/quality/completeness.js";
import { AFTER_SPRING, berlinSundays, FALL, SPRING, ZONE } from "../support/dst-days.js";

const END = "2026-11-17"; // a Tuesday
const cfg = defaultDatasetConfig();

/** Five weeks of exports; the four Tuesdays before END are published as history. */
async function withHistory(): Promise<{ db: DB; dbPath: string; dir: string; today: string }> {
  const dir = mkdtempSync(join(tmpdir(), "guardrail-complete-"));
  const files = await generateFixtures({ outDir: join(dir, "exports"), days: 29, eventsPerDay: 3000, end: END, seed: 7 });
  const dbPath = join(dir, "g.db");
  const db = openDb(dbPath);
  for (let w = 4; w >= 1; w--) {
    const f = files.find((x) => x.ds === addDays(END, -7 * w))!;
    const r = await ingestFiles(db, cfg, [f.path]);
    expect(r.published, `history ${f.ds}`).toBe(true);
  }
  return { db, dbPath, dir, today: files.find((x) => x.ds === END)!.path };
}

/** A copy of an export keeping only the lines `keep` accepts (by the UTC hour of event_timestamp). */
function damaged(dir: string, file: string, name: string, keep: (hour: number) => boolean): string {
  const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
  const kept = lines.filter((l) => keep(Number(/"event_timestamp":"\d{4}-\d\d-\d\dT(\d\d)/.exec(l)![1])));
  mkdirSync(join(dir, `ds=${END}`), { recursive: true });
  const out = join(dir, `ds=${END}`, name);
  writeFileSync(out, kept.join("\n") + "\n");
  return out;
}

const check = (checks: CheckResult[], name: string) => checks.find((c) => c.name === name)!;

describe("completeness before publishing", () => {
  it("publishes an ordinary day, judged against the history's own spread", async () => {
    const { db, today } = await withHistory();
    const r = await ingestFiles(db, cfg, [today]);
    expect(r.published).toBe(true);
    expect(r.partial).toBe(false);
    for (const name of ["day_volume", "hour_coverage", "hour_distribution"]) expect(check(r.checks, name).status, name).toBe("pass");
    expect(check(r.checks, "day_volume").message).toMatch(/within the usual volume of the previous 4 Tuesdays/);
    // The shape bar is learnt from the history, below the old fixed 0.05.
    expect(Number(check(r.checks, "hour_distribution").threshold)).toBeLessThan(0.05);
    expect(check(r.checks, "hour_distribution").message).toMatch(/bar [\d.]+ = 3 × the largest divergence of those days from each other/);
  }, 120_000);

  it("refuses a truncated export (hours 00–07 only) and one missing its busiest hour; nothing published changes", async () => {
    const { db, dir, today } = await withHistory();
    const truncated = await ingestFiles(db, cfg, [damaged(dir, today, "truncated.ndjson", (h) => h < 8)]);
    expect(truncated.published).toBe(false);
    expect(check(truncated.checks, "day_volume").status).toBe("fail");
    expect(check(truncated.checks, "day_volume").severity).toBe("error");
    expect(check(truncated.checks, "day_volume").message).toMatch(/^The day looks incomplete: events [\d,]+ are below the lower bound/);
    expect(check(truncated.checks, "hour_coverage").message).toMatch(/no events in the trailing hours 08:00–00:00/);
    expect(dayStatus(db, "default", END)).toBe("rejected");

    // The busiest hour of the fixtures' day is 15:00 UTC; the rest of the day is intact (about −6 % of the events).
    const holed = await ingestFiles(db, cfg, [damaged(dir, today, "no-15.ndjson", (h) => h !== 15)]);
    expect(holed.published).toBe(false);
    const coverage = check(holed.checks, "hour_coverage");
    expect(coverage.status).toBe("fail");
    expect(coverage.message).toMatch(/no events in 15:00 \(normally [\d.]+ % of the day\)/);
    const shape = check(holed.checks, "hour_distribution");
    expect(shape.status).toBe("fail");
    expect(Number(shape.observed)).toBeLessThan(0.05); // the old fixed bar would have let it through
    expect(dayStatus(db, "default", END)).toBe("rejected");
  }, 120_000);

  it("--allow-partial publishes such a day marked partial: inconclusive, never a baseline, replaced by a complete export", async () => {
    const { db, dbPath, dir, today } = await withHistory();
    const file = damaged(dir, today, "truncated.ndjson", (h) => h < 8);
    const cli = await runCli(["ingest", file, "--db", dbPath, "--allow-partial", "--json"]);
    expect(cli.code).toBe(0);
    const result = JSON.parse(cli.stdout);
    expect(result).toMatchObject({ published: true, partial: true });
    expect(result.partial_reason).toMatch(/failed completeness \(day_volume, hour_coverage/);
    expect(partialReason(db, "default", END)).toMatch(/failed completeness/);

    const e = judgeDay(db, cfg, { ds: END, now: new Date(`${END}T12:00:00Z`), persist: false });
    expect(e.status).toBe("inconclusive");
    expect(e.data.state).toBe("partial");
    for (const v of e.verdicts) expect(v.verdict).toBe("inconclusive");
    expect(e.verdicts[0].message).toMatch(/published partial \(it failed completeness/);

    // A week later the partial day is not history.
    const next = judgeDay(db, cfg, { ds: addDays(END, 7), now: new Date(`${addDays(END, 8)}T12:00:00Z`), persist: false });
    for (const v of next.verdicts) expect(v.baseline_days).not.toContain(END);

    // The complete export replaces it.
    const full = await ingestFiles(db, cfg, [today]);
    expect(full).toMatchObject({ published: true, partial: false });
    expect(partialReason(db, "default", END)).toBeNull();
    expect(judgeDay(db, cfg, { ds: END, now: new Date(`${addDays(END, 1)}T06:00:00Z`), persist: false }).data.state).toBe("published");
  }, 120_000);

  it("says each check was not judged, and why, when there is too little history", async () => {
    const dir = mkdtempSync(join(tmpdir(), "guardrail-complete-"));
    const [f] = await generateFixtures({ outDir: dir, days: 1, eventsPerDay: 3000, end: END, seed: 3 });
    const r = await ingestFiles(openDb(join(dir, "g.db")), cfg, [f.path]);
    expect(r.published).toBe(true);
    expect(check(r.checks, "day_volume")).toMatchObject({ status: "skipped" });
    expect(check(r.checks, "day_volume").message).toBe("Not judged: 0 previous Tuesdays are published complete, 3 needed to learn the day's usual volume.");
    expect(check(r.checks, "hour_coverage").message).toMatch(/^Not judged: 0 previous Tuesdays/);
    expect(check(r.checks, "hour_distribution").message).toMatch(/^Not enough history to judge the hourly shape/);
  }, 60_000);
});

describe("days that have not ended", () => {
  it("refuses a day that has not ended in the dataset's zone (exit 2, one sentence), unless --allow-partial", async () => {
    const dir = mkdtempSync(join(tmpdir(), "guardrail-open-day-"));
    const ds = "2099-12-31"; // still ahead whatever the clock says
    const file = join(dir, "today.ndjson");
    writeFileSync(
      file,
      `{"user_id":null,"logged_out_user_id":"a1","dim_hostname":"www.example.com","dim_country":"US","dim_device_brand":null,"action_type":"page_visit","event_timestamp":"${ds}T00:10:00Z","other_properties":{},"ds":"${ds}"}\n`,
    );
    const dbPath = join(dir, "g.db");
    const refused = await runCli(["ingest", file, "--db", dbPath, "--json"]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toMatch(/ds 2099-12-31 has not ended yet in UTC \(it ends at 2100-01-01T00:00Z\): load it once the day is over, or allow a partial day/);
    expect(dayStatus(openDb(dbPath), "default", ds)).toBe("missing");

    const partial = await runCli(["ingest", file, "--db", dbPath, "--json", "--allow-partial"]);
    expect(partial.code).toBe(0);
    expect(JSON.parse(partial.stdout)).toMatchObject({ published: true, partial: true });
    expect(JSON.parse(partial.stdout).partial_reason).toMatch(/^the day had not ended in UTC when it was loaded/);
  });

  it("judges the end of the day in the dataset's zone: a Pacific day ends eight hours after the UTC one", async () => {
    const la = { ...cfg, timezone: "America/Los_Angeles" };
    const dir = mkdtempSync(join(tmpdir(), "guardrail-open-day-"));
    const file = join(dir, "day.ndjson");
    writeFileSync(
      file,
      `{"logged_out_user_id":1,"dim_hostname":"www.example.com","dim_country":"US","action_type":"page_visit","event_timestamp":"2026-01-05 23:30:00","ds":"2026-01-05"}\n`,
    );
    const db = openDb(join(dir, "g.db"));
    await expect(ingestFiles(db, la, [file], { now: new Date("2026-01-06T07:59:00Z") })).rejects.toThrow(/has not ended yet in America\/Los_Angeles \(it ends at 2026-01-06T08:00Z\)/);
    const r = await ingestFiles(db, la, [file], { now: new Date("2026-01-06T08:00:00Z") });
    expect(r).toMatchObject({ published: true, partial: false, rows_loaded: 1 });
  });
});

describe("day volume on DST days", () => {
  const shape = (ds: string, hours: number[]): DayShape => ({ ds, events: hours.reduce((a, b) => a + b, 0), page_visits: 0, hours });

  it("weighs a 23- or 25-hour day by the traffic of the hours it has, not by 23/24", () => {
    const flat = new Array<number>(24).fill(100);
    const quietNight = flat.map((n, h) => (h === 2 ? 0 : n));
    const before = ["2026-03-01", "2026-03-08", "2026-03-15", "2026-03-22"];
    // Flat traffic: the spring day holds 23 of 24 hours' worth, the fall day 25.
    expect(dayLengthFactors(before.map((d) => shape(d, flat)), ZONE, SPRING).today).toBeCloseTo(23 / 24, 12);
    expect(dayLengthFactors(before.map((d) => shape(d, flat)), ZONE, FALL).today).toBeCloseTo(25 / 24, 12);
    // Nobody visits at 02:00: skipping it loses nothing.
    expect(dayLengthFactors(before.map((d) => shape(d, quietNight)), ZONE, SPRING).today).toBe(1);
    // A baseline day that was 23 hours long counts as the part of a day it was.
    const after = dayLengthFactors([shape(SPRING, flat.map((n, h) => (h === 2 ? 0 : n))), shape("2026-03-22", flat)], ZONE, AFTER_SPRING);
    expect(after).toEqual({ today: 1, past: [expect.closeTo(23 / 24, 12), 1] });
  });

  it("publishes an ordinary spring-forward day of a Berlin site (seeds 5 and 11), whose 23 hours hold less than its Sundays' 24", async () => {
    for (const seed of [5, 11]) {
      const s = await berlinSundays(SPRING, SPRING, [], seed);
      const row = s.db.prepare(`SELECT result_json FROM partitions WHERE ds = ? AND status = 'published'`).get(SPRING) as { result_json: string };
      const volume = (JSON.parse(row.result_json) as { checks: CheckResult[] }).checks.find((c) => c.name === "day_volume")!;
      expect(volume.status, `seed ${seed}: ${volume.message}`).toBe("pass");
      expect(volume.message).toContain("scaled to this 23-hour day");
      s.db.close();
    }
  }, 240_000);
});
