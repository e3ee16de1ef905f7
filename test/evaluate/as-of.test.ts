/** `--as-of` (docs/cli.md): history judged as it was then; and the text table marks what was not judged. */
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { openDb } from "../../src/store/db.js";
import { addDays } from "../../src/shared/dates.js";
import { runCli } from "../support/run-cli.js";

const END = "2026-11-17"; // a Tuesday
let dbPath = "";

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "guardrail-asof-"));
  const files = await generateFixtures({ outDir: join(dir, "x"), days: 29, eventsPerDay: 400, end: END, seed: 5 });
  dbPath = join(dir, "g.db");
  const db = openDb(dbPath);
  const wanted = new Set([0, 7, 14, 21, 28].map((d) => addDays(END, -d)).concat(addDays(END, -1)));
  for (const f of files) if (wanted.has(f.ds)) expect((await ingestFiles(db, defaultDatasetConfig(), [f.path])).published).toBe(true);
  db.close();
}, 120_000);

describe("--as-of", () => {
  it("judges the newest day as of a time: fresh just after it ended, stale days later", async () => {
    const fresh = await runCli(["evaluate", "--db", dbPath, "--as-of", `${addDays(END, 1)}T06:00:00Z`, "--json"]);
    expect(JSON.parse(fresh.stdout)).toMatchObject({ ds: END, data: { state: "published", age_hours: 6 } });
    const stale = await runCli(["evaluate", "--db", dbPath, "--as-of", `${addDays(END, 5)}T00:00:00Z`, "--json"]);
    expect(JSON.parse(stale.stdout)).toMatchObject({ ds: END, status: "no_data", data: { state: "stale", age_hours: 96 } });
    expect(stale.code).toBe(3);
  });

  it("only sees days that had ended: before END ended, the default day is the one before it", async () => {
    const before = await runCli(["evaluate", "--db", dbPath, "--as-of", `${END}T12:00:00Z`, "--json"]);
    expect(JSON.parse(before.stdout)).toMatchObject({ ds: addDays(END, -1), data: { state: "published", latest_published: addDays(END, -1) } });
    const report = await runCli(["report", "--db", dbPath, "--as-of", `${END}T12:00:00+01:00`, "--json"]);
    expect(JSON.parse(report.stdout).ds).toBe(addDays(END, -1));
  });

  it("caps backtest's clock and refuses a time it cannot read, in one sentence", async () => {
    const bt = await runCli(["backtest", "--db", dbPath, "--from", END, "--to", END, "--as-of", `${END}T18:00:00Z`, "--json"]);
    expect(bt.code).toBe(0);
    expect(JSON.parse(bt.stdout).days).toHaveLength(1);
    const bad = await runCli(["evaluate", "--db", dbPath, "--as-of", "yesterday"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('guardrail: --as-of "yesterday": expected an ISO-8601 time with Z or an offset (e.g. 2026-03-10T09:00:00Z) or a date YYYY-MM-DD.\n');
  });
});

describe("text output of metrics that were not judged", () => {
  it("says `not judged: volume` or `no baseline` where it used to say PASS or NO_DATA", async () => {
    const judged = await runCli(["evaluate", "--db", dbPath, "--ds", END, "--as-of", `${addDays(END, 1)}T01:00:00Z`]);
    const json = JSON.parse((await runCli(["evaluate", "--db", dbPath, "--ds", END, "--as-of", `${addDays(END, 1)}T01:00:00Z`, "--json"])).stdout);
    const lowVolume = json.verdicts.filter((v: { low_volume?: boolean }) => v.low_volume);
    expect(lowVolume.length).toBeGreaterThan(0);
    for (const v of lowVolume) expect(judged.stdout).toMatch(new RegExp(`^${v.metric}.*not judged: volume$`, "m"));
    expect(judged.stdout).not.toMatch(new RegExp(`^${lowVolume[0].metric}.*PASS$`, "m"));
    // The Monday has no earlier Mondays published: no baseline for any metric.
    const monday = await runCli(["evaluate", "--db", dbPath, "--ds", addDays(END, -1), "--as-of", `${END}T01:00:00Z`]);
    expect(monday.stdout).toMatch(/^daily_visitors\b.*no baseline$/m);
    const rows = monday.stdout.split("\n").filter((l) => /^(daily_visitors|website_hits|signups)\b/.test(l));
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r).not.toMatch(/NO_DATA/);
  });
});
