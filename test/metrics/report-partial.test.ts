/**
 * `guardrail report` on a day published marked partial (docs/ingest.md,
 * "Partial days"): the text says PARTIAL and why, the JSON carries
 * `partial_reason`; a complete export of the day replaces it and both lose the mark.
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { openDb } from "../../src/store/db.js";
import { runCli } from "../support/run-cli.js";

const DAY = "2026-11-17";

describe("report of a partial day", () => {
  it("is marked PARTIAL with its reason, until a complete export replaces it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "guardrail-report-partial-"));
    const [f] = await generateFixtures({ outDir: join(dir, "exports"), days: 1, eventsPerDay: 1500, end: DAY, seed: 9 });
    const dbPath = join(dir, "g.db");
    const db = openDb(dbPath);
    // Loaded at noon of the day itself: not over yet, published partial with --allow-partial.
    const early = await ingestFiles(db, defaultDatasetConfig(), [f.path], { allowPartial: true, now: new Date(`${DAY}T12:00:00Z`) });
    expect(early).toMatchObject({ published: true, partial: true });
    const why = early.partial_reason!;
    expect(why).toMatch(/^the day had not ended in UTC when it was loaded/);

    const text = await runCli(["report", "--db", dbPath, "--ds", DAY]);
    expect(text.code).toBe(0);
    const lines = text.stdout.split("\n");
    expect(lines[0]).toBe(`Guardrail report: dataset default, ds ${DAY} (PARTIAL)`);
    expect(lines[1]).toBe(`This day was published partial: ${why}. Its values are not a whole day's.`);
    const json = await runCli(["report", "--db", dbPath, "--ds", DAY, "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ds: DAY, partial_reason: why });

    const full = await ingestFiles(db, defaultDatasetConfig(), [f.path], { now: new Date("2026-11-27T00:00:00Z") });
    expect(full).toMatchObject({ published: true, partial: false });
    const after = await runCli(["report", "--db", dbPath, "--ds", DAY]);
    expect(after.stdout.split("\n")[0]).toBe(`Guardrail report: dataset default, ds ${DAY}`);
    expect(after.stdout).not.toMatch(/partial/i);
    expect(JSON.parse((await runCli(["report", "--db", dbPath, "--ds", DAY, "--json"])).stdout)).not.toHaveProperty("partial_reason");
    db.close();
  }, 120_000);
});
