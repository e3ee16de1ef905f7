/**
 * docs/cli.md's JSON shapes, checked on real runs: every documented field is
 * there with its documented type and vocabulary (fields may be added, never
 * renamed), and --json prints exactly one JSON document on stdout.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateFixtures, type FixtureFile } from "../../src/fixtures/generate.js";
import { addDays } from "../../src/shared/dates.js";
import { runCli } from "../support/run-cli.js";
import { defaultDatasetConfig } from "../../src/config/load.js";

const END = addDays(new Date().toISOString().slice(0, 10), -1);
let dir: string;
let db: string;
let files: FixtureFile[];
const ingested: Record<string, unknown>[] = [];

function json(stdout: string): any {
  // One document and nothing else: JSON.parse fails on any extra line.
  return JSON.parse(stdout);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "guardrail-contract-"));
  db = path.join(dir, "guardrail.db");
  files = await generateFixtures({ outDir: path.join(dir, "x"), days: 22, eventsPerDay: 3000, seed: 5, end: END });
  for (const f of files) {
    const run = await runCli(["ingest", f.path, "--db", db, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    ingested.push(json(run.stdout));
  }
}, 120_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("CLI JSON contracts (docs/cli.md)", () => {
  it("ingest", () => {
    const r = ingested[ingested.length - 1] as any;
    expect(r).toMatchObject({ ds: END, dataset: "default", published: true });
    for (const k of ["rows_read", "rows_loaded", "rows_rejected", "duplicates"]) expect(typeof r[k]).toBe("number");
    expect(r.rows_loaded).toBe(files[files.length - 1].events);
    expect(Array.isArray(r.rejects_sample)).toBe(true);
    expect(r.checks.length).toBeGreaterThanOrEqual(10);
    for (const c of r.checks) {
      expect(Object.keys(c)).toEqual(expect.arrayContaining(["name", "table", "severity", "status", "observed", "threshold", "message"]));
      expect(["pass", "warn", "fail"]).toContain(c.status);
      expect(["error", "warn"]).toContain(c.severity);
      expect(["fct_website_events", "agg_website_events"]).toContain(c.table);
      expect(c.message.length).toBeGreaterThan(10);
    }
    // The first day has no history: the week-over-week check is not judged, and says so, without breaking the vocabulary.
    const first = (ingested[0] as any).checks.find((c: any) => c.name === "host_volume_wow");
    expect(first).toMatchObject({ status: "pass", skipped: true });
  });

  it("report", async () => {
    const run = await runCli(["report", "--db", db, "--json"]);
    expect(run.code).toBe(0);
    const r = json(run.stdout);
    expect(r).toMatchObject({ ds: END, dataset: "default" });
    const names = ["daily_visitors", "website_hits", "daily_logged_in_users", "signups", "purchases", "signup_conversion_rate", "purchase_conversion_rate", "traffic_breakdown_by_channel"];
    expect(Object.keys(r.metrics)).toEqual(expect.arrayContaining(names));
    const rate = r.metrics.signup_conversion_rate;
    expect(rate.value).toBeCloseTo(rate.numerator / rate.denominator, 12);
    expect(rate.value).toBeLessThan(1); // a fraction, not a percentage
    for (const dim of ["dim_country", "dim_device_brand", "dim_channel", "dim_hostname"]) expect(Object.keys(r.metrics.daily_visitors.breakdown[dim]).length).toBeGreaterThan(1);
    expect(Object.keys(r.metrics.traffic_breakdown_by_channel.breakdown)).toEqual(["dim_channel"]);
    expect(r.metrics.purchases.breakdown.dim_product_type).toBeDefined();
    // No 64-bit id may appear as a rounded number.
    expect(run.stdout).not.toMatch(/(?<![.\d])-?\d{16,}(?![.\d])/);
  });

  it("evaluate", async () => {
    const run = await runCli(["evaluate", "--db", db, "--json"]);
    expect([0, 1, 3]).toContain(run.code);
    const r = json(run.stdout);
    expect(r).toMatchObject({ ds: END, dataset: "default" });
    expect(["pass", "warn", "fail", "no_data", "inconclusive"]).toContain(r.status);
    expect(r.verdicts.map((v: { metric: string }) => v.metric)).toEqual(defaultDatasetConfig().metrics.map((m) => m.name));
    for (const v of r.verdicts) {
      expect(Object.keys(v)).toEqual(
        expect.arrayContaining(["metric", "guardrail", "verdict", "observed", "expected", "lower", "upper", "change", "z", "baseline_days", "message", "segments"]),
      );
      expect(["pass", "warn", "fail", "no_data", "inconclusive"]).toContain(v.verdict);
      expect(v.baseline_days.length).toBeGreaterThanOrEqual(3);
    }
    expect(Array.isArray(r.versions)).toBe(true);
    expect(run.code).toBe(r.status === "fail" ? 1 : r.status === "pass" || r.status === "warn" ? 0 : 3);
  });

  it("backtest", async () => {
    const from = addDays(END, -6);
    const run = await runCli(["backtest", "--from", from, "--to", END, "--db", db, "--json"]);
    expect(run.code).toBe(0);
    const r = json(run.stdout);
    expect(r).toMatchObject({ from, to: END });
    expect(r.days.map((d: any) => d.ds)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => addDays(from, i)));
    for (const d of r.days) {
      expect(typeof d.status).toBe("string");
      expect(Array.isArray(d.failing)).toBe(true);
    }
    expect(typeof r.alerts).toBe("number");
  });
});
