import { afterEach, describe, expect, it, vi } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { addDays } from "../../src/shared/dates.js";
import { insertBatch, normalDay, publishDay, tempDb } from "../evaluate/helpers.js";
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
    expect(r.stdout).toMatch(/signup_conversion_rate \(guardrail\)\s+4\.0\d %\s+4\.00 %\s+[+−]?\d+(?:\.\d)? %\s+−?\d\.\d\s+PASS/);
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

  it("gives per guardrail the smallest one-day and 7-day decline that fails at today's volume, in the text and the JSON", async () => {
    const s = seed(0.0402);
    const json = JSON.parse((await run(["evaluate", "--db", s.file, "--config", s.config, "--json"])).stdout);
    const v = json.verdicts.find((x: any) => x.metric === "signup_conversion_rate");
    expect(v.kind).toBe("ratio");
    expect(v.reason).toBe("within_range");
    // 10,000 hits at 4 %: the one-day bar is the 10 % material change or the 3σ band, whichever is larger; 7 days need less.
    expect(v.power.one_day).toBeGreaterThanOrEqual(0.1);
    expect(v.power.one_day).toBeLessThan(0.5);
    expect(v.power.seven_day).toBeLessThanOrEqual(v.power.one_day);
    expect(json.verdicts.find((x: any) => x.metric === "website_hits").power).toBeNull(); // not a guardrail
    const text = (await run(["evaluate", "--db", s.file, "--config", s.config])).stdout;
    expect(text).toContain("smallest decline that fails at today's volume:");
    expect(text).toMatch(/- signup_conversion_rate: at this volume a one-day drop of \d+ % (or a 7-day drop of \d+ % )?fails/);
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
    // Hits are identical every day: pass. Signups (400 a day, 260 on the last) are judged on exact tails: −35 % fails.
    const s = seed(0.026);
    const json = JSON.parse((await run(["backtest", "--db", s.file, "--config", s.config, "--from", addDays(D, -7), "--to", D, "--json"])).stdout);
    const byMetric = Object.fromEntries(json.metrics.map((m: any) => [m.metric, m]));
    expect(byMetric.signup_conversion_rate).toMatchObject({ guardrail: true, days: 8, pass: 1, warn: 0, fail: 1, no_data: 6, not_judged: 0, fail_rate: 0.5 });
    expect(byMetric.website_hits).toMatchObject({ guardrail: false, pass: 2, warn: 0, fail: 0, no_data: 6, fail_rate: 0, warn_rate: 0 });
    expect(byMetric.signups).toMatchObject({ pass: 1, fail: 1, not_judged: 0, warn_rate: 0, fail_rate: 0.5 });
    expect(json).toMatchObject({ warn_verdicts: 0, fail_verdicts: 2 });
    expect(json.days[7]).toMatchObject({ metrics_failing: ["signups", "signup_conversion_rate"], metrics_warning: [] });

    const text = (await run(["backtest", "--db", s.file, "--config", s.config, "--from", addDays(D, -7), "--to", D])).stdout;
    expect(text).toMatch(/metric\s+judged\s+warn\s+fail\s+warn rate\s+fail rate\s+not judged\s+no data/);
    expect(text).toMatch(/signup_conversion_rate \(guardrail\)\s+2\s+0\s+1\s+0\.00 %\s+50\.00 %\s+0\s+6/);
    expect(text).toMatch(/signups\s+2\s+0\s+1\s+0\.00 %\s+50\.00 %\s+0\s+6/);
    expect(text).toContain("Over all metrics: 0 warn and 2 fail verdicts.");
    expect(text).toContain("False alarms on a clean range: 1 day with a failing guardrail.");
    expect(text).toMatch(/Smallest decline that fails \(median over the period\):\n- signup_conversion_rate: at this volume a one-day drop of \d+ %/);
    expect(byMetric.signup_conversion_rate.power.one_day).toBeGreaterThan(0);
  });

  it("exit 2 when --from is after --to", async () => {
    const s = seed(null);
    const r = await run(["backtest", "--db", s.file, "--config", s.config, "--from", D, "--to", addDays(D, -1)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--from ${D} is after --to ${addDays(D, -1)}`);
  });
});


describe("guardrail report", () => {
  it("adds per guardrail the smallest decline that fails at the day's volume, in the text and the JSON", async () => {
    const s = seed(0.0402);
    const json = JSON.parse((await run(["report", "--db", s.file, "--config", s.config, "--json"])).stdout);
    expect(json.guardrail_power.signup_conversion_rate.one_day).toBeGreaterThanOrEqual(0.1);
    expect(json.metrics.signup_conversion_rate.value).toBeCloseTo(0.04, 2); // the report itself is unchanged
    const text = (await run(["report", "--db", s.file, "--config", s.config])).stdout;
    expect(text).toMatch(/smallest decline that fails at this volume:\n- signup_conversion_rate: at this volume a one-day drop of \d+ %/);
  });
});

describe("guardrail mark", () => {
  it("marks a day special: the next evaluation of it warns with the reason instead of failing", async () => {
    const s = seed(0.026);
    expect((await run(["evaluate", "--db", s.file, "--config", s.config, "--ds", D, "--json"])).code).toBe(1);
    const r = await run(["mark", "--db", s.file, "--config", s.config, "--ds", D, "--reason", "Black Friday"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Marked ${D} special for dataset default: Black Friday.`);
    const e = await run(["evaluate", "--db", s.file, "--config", s.config, "--ds", D, "--json"]);
    expect(e.code).toBe(0);
    const v = JSON.parse(e.stdout).verdicts.find((x: any) => x.metric === "signup_conversion_rate");
    expect(v).toMatchObject({ verdict: "warn", reason: "marked", marked: "Black Friday" });
    expect(v.message).toContain("is marked special (Black Friday), so it warns instead of failing");
  });

  it("exit 2 with one sentence for a bad day or an empty reason", async () => {
    const s = seed(null);
    const bad = await run(["mark", "--db", s.file, "--config", s.config, "--ds", "2026-13-01", "--reason", "x"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('guardrail: --ds: expected a date as YYYY-MM-DD between 2000-01-01 and 2100-12-31, got "2026-13-01".\n');
    const empty = await run(["mark", "--db", s.file, "--config", s.config, "--ds", D, "--reason", "  "]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("--reason: say why");
  });
});
