import { afterEach, describe, expect, it, vi } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { addDays } from "../../src/shared/dates.js";
import { insertBatch, normalDay, publishDay, tempDb } from "./helpers.js";
import { openDb } from "../../src/store/db.js";
import { runCli as run } from "../support/run-cli.js";

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A small config file: metric names and the guardrail as in docs/metrics.md, two breakdowns. */
function configFile(dir: string): string {
  const file = path.join(dir, "guardrail.config.yml");
  fs.writeFileSync(
    file,
    [
      "metrics:",
      "  - { kind: count, name: website_hits, actions: [page_visit], breakdowns: [dim_device_brand, dim_channel] }",
      "  - { kind: count, name: signups, actions: [signup], breakdowns: [dim_device_brand, dim_channel] }",
      "  - { kind: ratio, name: signup_conversion_rate, numerator: signups, denominator: website_hits, guardrail: true, breakdowns: [dim_device_brand, dim_channel] }",
      "",
    ].join("\n"),
  );
  return file;
}

// Recent days so the newest day is fresh against the real clock.
const today = new Date().toISOString().slice(0, 10);
const D = addDays(today, -1);

function seed(todayRate: number | null) {
  const t = tempDb();
  dirs.push(t.dir);
  for (let w = 1; w <= 4; w++) publishDay(t.db, addDays(D, -7 * w), normalDay());
  if (todayRate !== null) publishDay(t.db, D, normalDay(10_000, todayRate));
  t.db.close();
  return { file: t.file, config: configFile(t.dir) };
}

describe("guardrail evaluate", () => {
  it("exit 1 with JSON per docs/cli.md when a guardrail fails", async () => {
    const s = seed(0.026);
    const r = await run(["evaluate", "--db", s.file, "--config", s.config, "--json"]);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ ds: D, dataset: "default", status: "fail", versions: [] });
    const v = json.verdicts.find((x: any) => x.metric === "signup_conversion_rate");
    for (const k of ["guardrail", "verdict", "observed", "expected", "lower", "upper", "change", "z", "baseline_days", "message", "segments"])
      expect(v).toHaveProperty(k);
    expect(v.verdict).toBe("fail");
  });

  it("exit 0 and a readable table on a normal day", async () => {
    const s = seed(0.0402);
    const r = await run(["evaluate", "--db", s.file, "--config", s.config]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/metric\s+today\s+expected\s+change\s+z\s+verdict/);
    expect(r.stdout).toMatch(/signup_conversion_rate \(guardrail\)\s+4\.0\d %\s+4\.00 %\s+\d\.\d %\s+0\.\d\s+PASS/);
    expect(r.stdout).toContain(`default ${D}: PASS`);
  });

  it("exit 3 when the day is missing or its audit failed", async () => {
    const s = seed(null);
    const missing = await run(["evaluate", "--db", s.file, "--config", s.config, "--ds", D, "--json"]);
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stdout).status).toBe("no_data");

    // The day's export failed its audit: it is the default day (the newest attempted), and it is inconclusive, not a pass.
    const db = openDb(s.file);
    insertBatch(db, D, "rejected");
    db.close();
    const rejected = await run(["evaluate", "--db", s.file, "--config", s.config, "--json"]);
    expect(rejected.code).toBe(3);
    expect(JSON.parse(rejected.stdout)).toMatchObject({ ds: D, status: "inconclusive", data: { state: "rejected" } });
  });

  it("exit 2 with one sentence for a bad --ds", async () => {
    const s = seed(null);
    const r = await run(["evaluate", "--db", s.file, "--config", s.config, "--ds", "yesterday"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('guardrail: --ds: expected a date as YYYY-MM-DD between 2000-01-01 and 2100-12-31, got "yesterday".\n');
    expect(r.stdout).toBe("");
  });
});

describe("guardrail backtest", () => {
  it("replays every day as if it were today, counts alerts and warns, and stores nothing", async () => {
    const s = seed(0.026);
    const r = await run(["backtest", "--db", s.file, "--config", s.config, "--from", addDays(D, -7), "--to", D, "--json"]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.from).toBe(addDays(D, -7));
    expect(json.days).toHaveLength(8);
    const last = json.days[7];
    expect(last).toMatchObject({ ds: D, status: "fail", failing: ["signup_conversion_rate"] });
    // The day a week earlier has only 3 Tuesdays of history: judged; the 6 days in between have no export.
    expect(json.days[0].status).toBe("pass");
    expect(json.days.slice(1, 7).every((d: any) => d.status === "no_data")).toBe(true);
    expect(json.alerts).toBe(1);
    expect(json.warns).toBe(0);
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(s.file, { readonly: true });
    expect((db.prepare("SELECT COUNT(*) AS n FROM evaluations").get() as { n: number }).n).toBe(0);
    db.close();
  });

  it("counts warn and fail verdicts per metric, guardrails and counts alike, in JSON and in the text", async () => {
    // Two judged days (a pass and a 35 % conversion drop), six without an export in between.
    // Signups (400 a day) are below min_denominator 500: never judged. Hits are identical every day: pass.
    const s = seed(0.026);
    const json = JSON.parse((await run(["backtest", "--db", s.file, "--config", s.config, "--from", addDays(D, -7), "--to", D, "--json"])).stdout);
    const byMetric = Object.fromEntries(json.metrics.map((m: any) => [m.metric, m]));
    expect(byMetric.signup_conversion_rate).toMatchObject({ guardrail: true, days: 8, pass: 1, warn: 0, fail: 1, no_data: 6, not_judged: 0, fail_rate: 0.5 });
    expect(byMetric.website_hits).toMatchObject({ guardrail: false, pass: 2, warn: 0, fail: 0, no_data: 6, fail_rate: 0, warn_rate: 0 });
    expect(byMetric.signups).toMatchObject({ pass: 2, not_judged: 2, warn_rate: null, fail_rate: null });
    expect(json).toMatchObject({ warn_verdicts: 0, fail_verdicts: 1 });
    expect(json.days[7]).toMatchObject({ metrics_failing: ["signup_conversion_rate"], metrics_warning: [] });

    const text = (await run(["backtest", "--db", s.file, "--config", s.config, "--from", addDays(D, -7), "--to", D])).stdout;
    expect(text).toMatch(/metric\s+judged\s+warn\s+fail\s+warn rate\s+fail rate\s+not judged\s+no data/);
    expect(text).toMatch(/signup_conversion_rate \(guardrail\)\s+2\s+0\s+1\s+0\.0 %\s+50\.0 %\s+0\s+6/);
    expect(text).toMatch(/signups\s+0\s+0\s+0\s+–\s+–\s+2\s+6/);
    expect(text).toContain("Over all metrics: 0 warn and 1 fail verdict.");
  });

  it("exit 2 when --from is after --to", async () => {
    const s = seed(null);
    const r = await run(["backtest", "--db", s.file, "--config", s.config, "--from", D, "--to", addDays(D, -1)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--from ${D} is after --to ${addDays(D, -1)}`);
  });
});

