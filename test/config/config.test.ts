import { describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig, parseConfig, resolveDataset } from "../../src/config/load.js";
import { DEFAULT_METRICS } from "../../src/config/default-metrics.js";
import { UserError } from "../../src/shared/errors.js";

function writeTemp(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guardrail-config-"));
  const file = path.join(dir, "guardrail.config.yml");
  fs.writeFileSync(file, text);
  return file;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error("expected a UserError");
}

describe("guardrail.config.yml", () => {
  it("the committed example parses, and its defaults equal the built-in ones", () => {
    const example = loadConfig("guardrail.config.example.yml");
    const builtIn = parseConfig({});
    expect(example.checks).toEqual(builtIn.checks);
    expect(example.channels).toEqual(builtIn.channels);
    expect(example.evaluation).toEqual(builtIn.evaluation);
    expect(example.metrics!.map((m) => m.name)).toEqual([...DEFAULT_METRICS.map((m) => m.name), "video_views", "video_view_rate"]);
    expect(resolveDataset(example, "shop").evaluation.freshness_hours).toBe(30);
    expect(resolveDataset(example, "shop").retention_days).toBe(90);
  });

  it("an absent file means the defaults, with the docs/metrics.md metric names", () => {
    const cfg = parseConfig(undefined);
    expect(cfg.metrics!.map((m) => m.name)).toEqual([
      "daily_visitors",
      "visits",
      "website_hits",
      "daily_logged_in_users",
      "signups",
      "purchases",
      "signup_conversion_rate",
      "purchase_conversion_rate",
      "traffic_breakdown_by_channel",
    ]);
    expect(cfg.metrics!.filter((m) => m.guardrail).map((m) => m.name)).toEqual(["signup_conversion_rate", "purchase_conversion_rate"]);
  });

  it("a partial section keeps the other defaults", () => {
    const cfg = parseConfig({ checks: { duplicates: { severity: "warn" } }, evaluation: { weeks: 6 } });
    expect(cfg.checks.duplicates).toEqual({ severity: "warn", tolerance: 0, enabled: true });
    expect(cfg.checks.not_null.severity).toBe("error");
    expect(cfg.evaluation.weeks).toBe(6);
    expect(cfg.evaluation.sensitivity).toBe(3);
  });

  it("names the file, the field and what was expected", () => {
    expect(errorOf(() => loadConfig(writeTemp("evaluation:\n  sensitivity: -1\n")))).toMatch(
      /guardrail\.config\.yml: field evaluation\.sensitivity: .*(>0|positive|greater)/i,
    );
    expect(errorOf(() => loadConfig(writeTemp("checks:\n  duplicates:\n    severity: fatal\n")))).toMatch(
      /field checks\.duplicates\.severity: .*"error".*"warn"/,
    );
    expect(errorOf(() => loadConfig(writeTemp("evaluaton: {}\n")))).toMatch(/field \(top level\): unknown field\(s\) "evaluaton"/);
    expect(errorOf(() => loadConfig(writeTemp("metrics:\n  - { kind: ratio, name: r, numerator: signups, denominator: nope }\n")))).toMatch(
      /field metrics\[0\]\.numerator: expected the name of a count metric, got "signups"/,
    );
    expect(errorOf(() => loadConfig(writeTemp("metrics:\n  - { kind: count, name: v, actions: [login, signup], measure: unique_users }\n")))).toMatch(
      /field metrics\[0\]\.actions: a unique_users metric needs "all" or exactly one action/,
    );
    expect(errorOf(() => loadConfig(writeTemp("checks:\n  not_null:\n    columns: [dim_hostname, dim_countr]\n")))).toMatch(
      /guardrail\.config\.yml: field checks\.not_null\.columns\[1\]: "dim_countr" is not a column \(expected one of user_id, /,
    );
    expect(errorOf(() => loadConfig(writeTemp("event_key: [logged_out_user_id, event_time]\n")))).toMatch(
      /guardrail\.config\.yml: field event_key\[1\]: "event_time" is not a column .* or other_properties\.<name>\)\./,
    );
    expect(errorOf(() => loadConfig(writeTemp("a: [1,\n")))).toMatch(/guardrail\.config\.yml: line \d+ is not valid YAML/);
    expect(errorOf(() => loadConfig("/nonexistent/guardrail.config.yml"))).toMatch(/cannot read the configuration file/);
  });

  it("refuses a dataset name that could escape a path", () => {
    expect(errorOf(() => resolveDataset(parseConfig({}), "../etc"))).toMatch(/dataset "\.\.\/etc": expected a name of letters/);
  });
});

describe("--db on read-only commands", () => {
  it("a path that does not exist is named as such, and no empty database is created there", async () => {
    const { runCli } = await import("../support/run-cli.js");
    const missing = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "guardrail-nodb-")), "typo.db");
    for (const cmd of [["report"], ["evaluate"], ["backtest", "--from", "2026-01-01", "--to", "2026-01-02"]]) {
      const run = await runCli([...cmd, "--db", missing]);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`guardrail: ${missing}: no Guardrail database here (expected the file that guardrail ingest wrote; check --db or GUARDRAIL_DB).\n`);
      expect(fs.existsSync(missing)).toBe(false);
    }
  });
});

describe("time zones in the configuration", () => {
  it("takes a zone at the top and per dataset, and names the field of an unknown zone", () => {
    const cfg = parseConfig({ timezone: "America/Los_Angeles", datasets: { berlin: { timezone: "Europe/Berlin", naive_timestamps: "utc" } } });
    expect(resolveDataset(cfg, "default")).toMatchObject({ timezone: "America/Los_Angeles", naive_timestamps: "local" });
    expect(resolveDataset(cfg, "berlin")).toMatchObject({ timezone: "Europe/Berlin", naive_timestamps: "utc" });
    expect(resolveDataset(parseConfig({}), "default").timezone).toBe("UTC");
    const file = writeTemp("datasets:\n  shop:\n    timezone: Pacific Time\n");
    expect(() => loadConfig(file)).toThrow(
      `${file}: field datasets.shop.timezone: an IANA time-zone name such as UTC, America/Los_Angeles or Europe/Berlin.`,
    );
    expect(() => parseConfig({ naive_timestamps: "local-ish" })).toThrow(/field naive_timestamps/);
  });
});
