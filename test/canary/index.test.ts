import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb, type DB } from "../../src/store/db.js";
import { defaultDatasetConfig, parseConfig, resolveDataset } from "../../src/config/load.js";
import { canaryGateReason, canarySection } from "../../src/present/canary.js";
import { generateFixtures, parseCanary, parseIncident } from "../../src/fixtures/generate.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { canariesJudged, judgeCanaryForSha, recordCanaryJudgement } from "../../src/canary/index.js";
import { recordCanaryDeployment } from "../../src/store/canary.js";

const DAY = "2026-03-04";
const SHA = "3f2a9c1d" + "0".repeat(32);
const PREVIEW_SHA = "9".repeat(40);
const cfg = defaultDatasetConfig();

describe("canary of a head SHA, from a published day", () => {
  let dir: string;
  let db: DB;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "guardrail-canary-"));
    db = openDb(join(dir, "g.db"));
    // Two builds on one day: the head's short SHA at −40 % signups in 8–20 h, and a preview build named by its deployment.
    const [f] = await generateFixtures({
      outDir: join(dir, "exports"),
      days: 1,
      eventsPerDay: 60_000,
      end: DAY,
      seed: 11,
      canaries: [parseCanary(`${DAY}:${SHA.slice(0, 8)}:0.1:8-20`)],
      incidents: [parseIncident(`${DAY}:signup_conversion_rate:-0.4:dim_app_version=${SHA.slice(0, 8)}`)],
      versions: ["preview-pr-7", "v41"],
    });
    const r = await ingestFiles(db, cfg, [f.path], { ds: DAY });
    expect(r.published).toBe(true);
  }, 120_000);
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("finds the head's traffic by its short SHA and fails its −40 % signup conversion against the same hours", () => {
    const j = judgeCanaryForSha(db, cfg, "acme/shop", SHA)!;
    expect(j.ds).toBe(DAY);
    expect(j.versions).toEqual([SHA.slice(0, 8)]);
    // Visits start in 8–20 h; the last ones run on past 20:00.
    expect(j.hours[0]).toBe(8);
    expect(j.hours.every((h) => h >= 8)).toBe(true);
    expect(j.hours.length).toBeGreaterThanOrEqual(12);
    expect(j.status).toBe("fail");
    const s = j.metrics.find((m) => m.metric === "signup_conversion_rate")!;
    expect(s.verdict).toBe("fail");
    expect(s.change!).toBeLessThan(-0.25);
    expect(s.change!).toBeGreaterThan(-0.55);
    expect(j.visitors).toBeGreaterThan(500);
    expect(j.canary_events / j.day_events).toBeGreaterThan(0.04);
    expect(j.canary_events / j.day_events).toBeLessThan(0.1);
  });

  it("finds a version that a preview deployment maps to the SHA, and nothing for a SHA that served no traffic", () => {
    expect(judgeCanaryForSha(db, cfg, "acme/shop", PREVIEW_SHA)).toBeNull();
    recordCanaryDeployment(db, { repo: "acme/shop", deploymentId: 1, sha: PREVIEW_SHA, version: "preview-pr-7", environment: "preview", deployedAt: "2026-03-03T18:00:00Z" });
    const j = judgeCanaryForSha(db, cfg, "acme/shop", PREVIEW_SHA)!;
    expect(j.versions).toEqual(["preview-pr-7"]);
    expect(j.hours).toHaveLength(24);
    // A third of the traffic, no incident: no signup decline.
    expect(j.metrics.find((m) => m.metric === "signup_conversion_rate")!.verdict).not.toBe("fail");
    // Another repo's deployments do not count.
    expect(judgeCanaryForSha(db, cfg, "acme/other", PREVIEW_SHA)).toBeNull();
  });

  it("lists the canaries judged on a day, the failing one first", () => {
    const failing = judgeCanaryForSha(db, cfg, "acme/shop", SHA)!;
    const other = judgeCanaryForSha(db, cfg, "acme/shop", PREVIEW_SHA)!;
    recordCanaryJudgement(db, "acme/shop", other);
    recordCanaryJudgement(db, "acme/shop", failing);
    const listed = canariesJudged(db, "default", DAY);
    expect(listed.map((c) => [c.sha, c.judgement.status])).toEqual([
      [SHA, "fail"],
      [PREVIEW_SHA, other.status],
    ]);
    expect(canariesJudged(db, "default", "2026-03-05")).toEqual([]);
  });
});

describe("canary of a Berlin site: hours on the site's clock", () => {
  const BERLIN_DAY = "2026-07-08"; // summer time, UTC+2
  const berlin = resolveDataset(parseConfig({ timezone: "Europe/Berlin" }), "default");
  let dir: string;
  let db: DB;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "guardrail-canary-tz-"));
    db = openDb(join(dir, "g.db"));
    // GA-style naive local timestamps; the head's build served a tenth of the visitors arriving 10:00–12:00 local time.
    const [f] = await generateFixtures({
      outDir: join(dir, "exports"),
      days: 1,
      eventsPerDay: 30_000,
      end: BERLIN_DAY,
      seed: 4,
      timezone: "Europe/Berlin",
      timestamps: "naive",
      canaries: [parseCanary(`${BERLIN_DAY}:${SHA.slice(0, 8)}:0.1:10-12`)],
      versions: ["preview-pr-9", "v41"],
    });
    const r = await ingestFiles(db, berlin, [f.path], { ds: BERLIN_DAY, now: new Date("2026-11-27T00:00:00Z") });
    expect(r.published).toBe(true);
  }, 120_000);
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("judges the build on the local hours it served and names them with the zone", () => {
    const j = judgeCanaryForSha(db, berlin, "acme/shop", SHA)!;
    expect(j.timezone).toBe("Europe/Berlin");
    // Visits start in 10–12 local time; some run on into the afternoon.
    expect(j.hours[0]).toBe(10);
    expect(j.hours.every((h) => h >= 10 && h < 20)).toBe(true);
    expect(canarySection(j)).toMatch(/\*\*Hours compared\*\*: 10:00–1\d:00[0-9:–, ]* Europe\/Berlin\. /);
  });

  it("maps a preview deployment to the local hours after it: deployed at 08:00Z, it owns 10:00 onwards", () => {
    recordCanaryDeployment(db, { repo: "acme/shop", deploymentId: 1, sha: "8".repeat(40), version: "preview-pr-9", environment: "preview", deployedAt: "2026-07-07T18:00:00Z" });
    recordCanaryDeployment(db, { repo: "acme/shop", deploymentId: 2, sha: PREVIEW_SHA, version: "preview-pr-9", environment: "preview", deployedAt: "2026-07-08T08:00:00Z" });
    const j = judgeCanaryForSha(db, berlin, "acme/shop", PREVIEW_SHA)!;
    expect(j.hours).toEqual([...Array(14).keys()].map((h) => h + 10));
    expect(canaryGateReason({ ...j, status: "fail" })).toMatch(/the same hours \(10:00–24:00 Europe\/Berlin\)\.$/);
  });
});
