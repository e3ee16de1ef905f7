/**
 * Measured quality at real volumes (issue 15): months of simulated aggregates
 * (src/fixtures/simulate.ts, the generator's business drawn as aggregate rows)
 * published through the real store and metric code, judged with the DEFAULT
 * thresholds. Several seeds; 300, 5,000, 20,000 and 100,000 visitors a day.
 *
 * - ordinary days: no guardrail fails in 12-week backtests;
 * - a 6-hour checkout outage fails purchase conversion, naming the hours;
 * - checkout broken on Apple devices fails purchase conversion, naming the device;
 * - a −4 %-a-day decay fails by its 4th day at 22k visitors, and stays failing;
 * - a sustained −40 % fails within 7 days at 300 visitors;
 * - a surge of a low-converting channel warns as a mix shift instead of failing;
 * - a 5 % dip (one day or a week, at 20,000 and 100,000 visitors) and good news never fail;
 * - a marked holiday warns with its reason and never enters later baselines;
 * - every guardrail verdict and backtest shows its power (the smallest one-day and 7-day decline that fails);
 * - one bad day in the history does not change what fails on the weeks after it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDb, type DB } from "../../src/store/db.js";
import { defaultDatasetConfig, parseConfig, resolveDataset, type DatasetConfig } from "../../src/config/load.js";
import { backtest, evaluateDay } from "../../src/evaluate/index.js";
import { addDays, dsToEpochMs } from "../../src/shared/dates.js";
import { simulateDay, simulateDays } from "../../src/fixtures/simulate.js";
import { channelSurge, decay, outage, specialDay, sustained, type Incident } from "../../src/fixtures/incidents.js";
import type { Verdict } from "../../src/shared/types.js";
import { markDay } from "../../src/store/marks.js";
import { publishSimulated } from "./sim.js";

const cfg = defaultDatasetConfig();
const root = fs.mkdtempSync(path.join(os.tmpdir(), "guardrail-incidents-"));
const END = "2026-06-28"; // a Sunday: the end of the 12-week backtest
const HISTORY = 126; // 18 weeks: 12 judged, 6 of history before the first
const SEEDS = [1, 2, 3];
const endOf = (ds: string) => new Date(dsToEpochMs(addDays(ds, 1)) + 3_600_000);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** One clean history per (visitors, seed), kept as a serialized image so each scenario starts from a copy. */
const images = new Map<string, Buffer>();
function cleanImage(visitors: number, seed: number): Buffer {
  const key = `${visitors}/${seed}`;
  if (!images.has(key)) {
    const file = path.join(root, `clean-${visitors}-${seed}.db`);
    const db = openDb(file);
    publishSimulated(db, cfg, simulateDays({ visitorsPerDay: visitors, seed }, END, HISTORY));
    images.set(key, db.serialize());
    db.close();
  }
  return images.get(key)!;
}

let copies = 0;
/** A copy of the clean history with the incidents' days re-published (the simulation is deterministic per day). */
function withIncidents(visitors: number, seed: number, incidents: Incident[], c: DatasetConfig = cfg): DB {
  const file = path.join(root, `copy-${++copies}.db`);
  fs.writeFileSync(file, cleanImage(visitors, seed));
  const db = openDb(file);
  const days = [...new Set(incidents.map((i) => i.ds))].sort();
  publishSimulated(db, c, days.map((ds) => ({ ds, rows: simulateDay({ visitorsPerDay: visitors, seed, incidents }, ds) })));
  return db;
}

const judge = (db: DB, ds: string, c: DatasetConfig = cfg) => evaluateDay(db, c, { ds, now: endOf(ds), persist: false });
const verdictOf = (db: DB, ds: string, metric: string, c: DatasetConfig = cfg): Verdict => judge(db, ds, c).verdicts.find((v) => v.metric === metric)!;

describe("ordinary days: 12-week backtests", () => {
  const powers: { visitors: number; one: number }[] = [];
  afterAll(() => {
    // The smallest one-day decline that fails falls as the volume grows (the medians of the seeds).
    const med = (v: number) => {
      const xs = powers.filter((p) => p.visitors === v).map((p) => p.one).sort((a, b) => a - b);
      return xs[Math.floor(xs.length / 2)];
    };
    const vols = [...new Set(powers.map((p) => p.visitors))];
    if (vols.length === 4) for (let i = 1; i < vols.length; i++) expect(med(vols[i])).toBeLessThan(med(vols[i - 1]));
  });
  for (const visitors of [300, 5_000, 20_000, 100_000])
    it(`no guardrail fails at ${visitors.toLocaleString("en-US")} visitors a day (seeds ${SEEDS.join(", ")})`, () => {
      for (const seed of SEEDS) {
        const file = path.join(root, `bt-${visitors}-${seed}.db`);
        fs.writeFileSync(file, cleanImage(visitors, seed));
        const db = openDb(file);
        const r = backtest(db, cfg, { from: addDays(END, -83), to: END });
        expect(r.days).toHaveLength(84);
        const failing = r.days.filter((d) => d.failing.length > 0).map((d) => `${d.ds}: ${d.failing.join(", ")}`);
        expect(failing, `seed ${seed}`).toEqual([]);
        const power = judge(db, END).verdicts.filter((v) => v.guardrail).map((v) => `${v.metric} ${v.power?.one_day?.toFixed(2) ?? "–"}/${v.power?.seven_day?.toFixed(2) ?? "–"}`);
        process.stderr.write(`${visitors} visitors, seed ${seed}: ${r.alerts} false alarms, ${r.warns} warn days; smallest failing drop 1-day/7-day: ${power.join("; ")}\n`);
        // Power, shown: every guardrail of the backtest has its figures; signup conversion's one-day figure shrinks
        // with volume, and its 7-day figure is never larger than the one-day one.
        const signup = r.metrics.find((m) => m.metric === "signup_conversion_rate")!;
        expect(signup.power, `seed ${seed}`).toBeTruthy();
        expect(signup.power!.one_day, `seed ${seed}`).not.toBeNull();
        expect(signup.power!.seven_day!).toBeLessThanOrEqual(signup.power!.one_day!);
        powers.push({ visitors, one: signup.power!.one_day! });
        expect(r.metrics.find((m) => m.metric === "purchase_conversion_rate")!.power, `seed ${seed}`).toBeDefined();
        db.close();
      }
    }, 300_000);
});

describe("incidents at 22,000 visitors a day", () => {
  const V = 22_000;

  it("a 6-hour checkout outage fails purchase conversion and names the hours", () => {
    for (const seed of SEEDS) {
      const D = "2026-06-24";
      const db = withIncidents(V, seed, [outage(D, "purchase_conversion_rate", 10, 16)]);
      const v = verdictOf(db, D, "purchase_conversion_rate");
      expect(v.verdict).toBe("fail");
      expect(v.change!).toBeGreaterThan(-0.6); // diluted on the day: it is the hours that show it
      expect(v.hourly).toMatchObject({ from: 10, to: 16, observed: 0 });
      expect(v.message).toContain("purchases fell 100 % between 10:00 and 16:00");
      // Signup conversion, untouched, passes; the scan found nothing there.
      expect(verdictOf(db, D, "signup_conversion_rate").hourly ?? null).toBeNull();
      db.close();
    }
  });

  it("checkout broken on Apple devices (iPhone, Mac, iPad: 45 % of signups, purchase conversion −66 % there) fails, naming iPhone", () => {
    // Issue 15's volume floor: at ≈ 2,300 signups a day no segment could fail under the old minimum of 500 per segment.
    for (const seed of SEEDS) {
      const D = "2026-06-24";
      const apple = ["iPhone", "Mac", "iPad"].map((value) => ({ ds: D, metric: "purchase_conversion_rate", change: -0.66, segment: { dimension: "dim_device_brand", value } }));
      const db = withIncidents(V, seed, apple);
      const v = verdictOf(db, D, "purchase_conversion_rate");
      expect(v.verdict, `seed ${seed}: ${v.message}`).toBe("fail");
      expect(v.message).toMatch(/device iPhone/);
      db.close();
    }
  });

  it("a −4 %-a-day decay of signup conversion fails by its 4th day and stays failing", () => {
    for (const seed of SEEDS) {
      const start = "2026-06-15";
      const db = withIncidents(V, seed, decay(start, 7, "signup_conversion_rate", 0.04));
      const kinds = Array.from({ length: 7 }, (_, i) => verdictOf(db, addDays(start, i), "signup_conversion_rate").verdict);
      const first = kinds.indexOf("fail");
      expect(first, `seed ${seed}: ${kinds.join(" ")}`).toBeGreaterThanOrEqual(0);
      expect(first, `seed ${seed}: ${kinds.join(" ")}`).toBeLessThanOrEqual(3);
      expect(kinds.slice(first).every((k) => k === "fail"), `seed ${seed}: ${kinds.join(" ")}`).toBe(true);
      db.close();
    }
  });

  it("a surge of low-converting traffic from two channels warns as a mix shift, naming it, instead of failing", () => {
    let named = 0;
    for (const seed of [...SEEDS, 3]) {
      const D = "2026-06-24";
      // Two low-converting channels (other ×0.7, x ×0.8 of the average signup rate) bring 11 times their usual traffic;
      // every channel's own rate is unchanged.
      const db = withIncidents(V, seed, [channelSurge(D, "other", 10), channelSurge(D, "x", 10)]);
      const v = verdictOf(db, D, "signup_conversion_rate");
      expect(v.change!).toBeLessThan(-0.05);
      expect(v.verdict, v.message).not.toBe("fail");
      if (v.verdict === "warn" && v.change! <= -0.1) {
        expect(v.reason).toBe("mix_shift");
        expect(v.mix_shift?.dimension).toBe("dim_channel");
        expect(v.mix_shift?.value).toMatch(/^(other|x)$/);
        expect(v.message).toMatch(/a mix shift, not a rate decline: channel (other|x) went from \d+ % to \d+ % of the traffic/);
        named++;
      }
      db.close();
    }
    // The day-to-day noise moves the total by a few percent either way; on most seeds the surge is a material decline.
    expect(named).toBeGreaterThanOrEqual(2);
  });

  it("good news never fails: conversion up 30 %, traffic up 50 %", () => {
    for (const seed of SEEDS) {
      const D = "2026-06-24";
      const db = withIncidents(V, seed, [
        { ds: D, metric: "signup_conversion_rate", change: 0.3 },
        { ds: D, metric: "purchase_conversion_rate", change: 0.3 },
        { ds: D, metric: "website_hits", change: 0.5 },
      ]);
      const e = judge(db, D);
      expect(e.verdicts.filter((v) => v.verdict === "fail").map((v) => v.metric)).toEqual([]);
      db.close();
    }
  });
});

describe("a 5 % dip never fails", () => {
  // A 5 % dip on a day whose own noise adds −5 % or more measures a material −10 %: the plain rule (z ≤ −3 and
  // −10 %) failed it on seed 4 at 100,000 visitors, and the hysteresis then held the fail for the rest of the week.
  // A fail needs the day significantly beyond a harmless 5 % (fail_margin), which a 5 % dip is not.
  for (const visitors of [20_000, 100_000])
    for (const metric of ["signup_conversion_rate", "purchase_conversion_rate"])
      it(`neither for one day nor for a week: ${metric} at ${visitors.toLocaleString("en-US")} visitors a day (seeds 1–4)`, () => {
        for (const seed of [...SEEDS, 4]) {
          const start = "2026-06-15";
          const db = withIncidents(visitors, seed, sustained(start, 7, metric, -0.05));
          const kinds = Array.from({ length: 7 }, (_, i) => verdictOf(db, addDays(start, i), metric));
          const trace = kinds.map((v) => `${v.verdict}(${((v.change ?? 0) * 100).toFixed(0)} %, z ${v.z?.toFixed(1)})`).join(" ");
          expect(kinds.filter((v) => v.verdict === "fail"), `seed ${seed}: ${trace}`).toEqual([]);
          db.close();
        }
      });

  it("the plain rule (fail_margin 0) is what failed it: seed 4 at 100,000 visitors", () => {
    const plain = resolveDataset(parseConfig({ evaluation: { fail_margin: 0 } }), "default");
    const start = "2026-06-15";
    const db = withIncidents(100_000, 4, sustained(start, 7, "signup_conversion_rate", -0.05));
    const v = verdictOf(db, start, "signup_conversion_rate", plain);
    expect(v.verdict).toBe("fail");
    expect(v.change!).toBeLessThanOrEqual(-0.1);
    const d = verdictOf(db, start, "signup_conversion_rate");
    expect(d.verdict).toBe("warn");
    expect(d.message).toMatch(/a material change, but not significantly beyond a harmless 5 % decline \(z = −\d\.\d measured from there, a fail needs −3\.0\)/);
    db.close();
  });
});

describe("a small site: 300 visitors a day", () => {
  it("a sustained −40 % of signup conversion fails within 7 days and stays failing", () => {
    for (const seed of SEEDS) {
      const start = "2026-06-08";
      const db = withIncidents(300, seed, sustained(start, 10, "signup_conversion_rate", -0.4));
      const kinds = Array.from({ length: 10 }, (_, i) => verdictOf(db, addDays(start, i), "signup_conversion_rate"));
      const first = kinds.findIndex((v) => v.verdict === "fail");
      const trace = kinds.map((v) => `${v.verdict}:${v.reason}`).join(" ");
      expect(first, `seed ${seed}: ${trace}`).toBeGreaterThanOrEqual(0);
      expect(first, `seed ${seed}: ${trace}`).toBeLessThanOrEqual(6);
      expect(kinds.slice(first).every((v) => v.verdict === "fail"), `seed ${seed}: ${trace}`).toBe(true);
      db.close();
    }
  });

  it("purchase conversion, a few purchases a day, is not judged (low volume) rather than no_data, and never holds the gate", () => {
    const db = withIncidents(300, 1, []);
    const e = judge(db, END);
    const v = e.verdicts.find((x) => x.metric === "purchase_conversion_rate")!;
    expect(v.verdict).toBe("pass");
    expect(v.reason).toBe("low_volume");
    expect(v.message).toContain("not judged (low volume)");
    expect(e.status).not.toBe("no_data");
    db.close();
  });
});

describe("known special days", () => {
  const D = "2026-06-17"; // a Wednesday holiday
  const holiday = specialDay(D, -0.4, -0.3);

  it("a day in the calendar warns with its reason instead of failing, and is left out of later baselines", () => {
    const c = resolveDataset(parseConfig({ calendar: [{ date: D, reason: "Juneteenth" }] }), "default");
    for (const seed of SEEDS) {
      const db = withIncidents(22_000, seed, holiday, c);
      const plain = verdictOf(db, D, "signup_conversion_rate"); // without the calendar, it fails
      expect(plain.verdict).toBe("fail");
      const v = verdictOf(db, D, "signup_conversion_rate", c);
      expect(v.verdict).toBe("warn");
      expect(v.reason).toBe("marked");
      expect(v.marked).toBe("Juneteenth");
      expect(v.message).toContain("is marked special (Juneteenth), so it warns instead of failing");
      const next = verdictOf(db, addDays(D, 7), "signup_conversion_rate", c);
      expect(next.baseline_days).not.toContain(D);
      expect(next.excluded_days).toContainEqual({ ds: D, reason: "marked" });
      db.close();
    }
  });

  it("guardrail mark (the store) does the same as the calendar", () => {
    const db = withIncidents(22_000, 2, holiday);
    markDay(db, "default", D, "Juneteenth");
    const v = verdictOf(db, D, "signup_conversion_rate");
    expect(v.verdict).toBe("warn");
    expect(v.marked).toBe("Juneteenth");
    db.close();
  });
});

describe("robust baselines", () => {
  it("one bad Sunday in the history neither widens the band nor moves the expectation of the Sundays after it (seeds 1–3)", () => {
    const bad = "2026-05-31";
    const after = [1, 2, 3, 4].map((w) => addDays(bad, 7 * w));
    for (const seed of SEEDS) {
      const clean = withIncidents(22_000, seed, []);
      const hit = withIncidents(22_000, seed, [{ ds: bad, metric: "signup_conversion_rate", change: -0.5 }]);
      for (const ds of after) {
        const a = verdictOf(clean, ds, "signup_conversion_rate");
        const b = verdictOf(hit, ds, "signup_conversion_rate");
        expect(b.baseline_days).not.toContain(bad);
        expect(b.excluded_days?.find((x) => x.ds === bad)?.reason).toMatch(/failed|outlier/);
        // The decline that fails stays where it was without the bad Sunday (within a few percent).
        expect(Math.abs(b.power!.one_day! - a.power!.one_day!), `seed ${seed} ${ds}`).toBeLessThan(0.03);
      }
      // And the band stays narrow from week to week on stationary data.
      const oneDay = after.map((ds) => verdictOf(hit, ds, "signup_conversion_rate").power!.one_day!);
      expect(Math.max(...oneDay) / Math.min(...oneDay), `seed ${seed}: ${oneDay.join(", ")}`).toBeLessThan(1.3);
      clean.close();
      hit.close();
    }
  });
});
