import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planIncident, checkFreshness, freshnessEvent } from "../../src/alerts/index.js";
import type { IncidentState } from "../../src/alerts/types.js";
import { resolveDataset, parseConfig } from "../../src/config/load.js";
import { failingEvaluation, insertPartition, noDataEvaluation, passingEvaluation, tempDb } from "./helpers.js";

const open = (kind: IncidentState["kind"], last: string, data: string | null = null): IncidentState => ({
  repo: "acme/shop",
  dataset: "default",
  kind,
  state: "open",
  issue_number: 1,
  opened_ds: last,
  last_ds: last,
  data_ds: data,
  opened_at: "",
  updated_at: "",
  closed_at: null,
});

describe("planIncident", () => {
  it("breach: opens, comments on a later day only, closes on a judged healthy day not older than the last failing one", () => {
    const fail5 = { kind: "breach" as const, evaluation: failingEvaluation("2026-11-05") };
    expect(planIncident({}, fail5)).toEqual([{ type: "open", kind: "breach", day: "2026-11-05" }]);
    expect(planIncident({ breach: { ...open("breach", "2026-11-05"), state: "closed" } }, fail5)).toEqual([{ type: "open", kind: "breach", day: "2026-11-05" }]);
    expect(planIncident({ breach: open("breach", "2026-11-05") }, fail5)).toEqual([]);
    expect(planIncident({ breach: open("breach", "2026-11-05") }, { kind: "breach", evaluation: failingEvaluation("2026-11-06") })).toEqual([
      { type: "comment", kind: "breach", day: "2026-11-06" },
    ]);
    expect(planIncident({ breach: open("breach", "2026-11-06") }, { kind: "recovery", evaluation: passingEvaluation("2026-11-05") })).toEqual([]);
    expect(planIncident({ breach: open("breach", "2026-11-06") }, { kind: "recovery", evaluation: noDataEvaluation("2026-11-07") })).toEqual([]);
    expect(planIncident({ breach: open("breach", "2026-11-06") }, { kind: "recovery", evaluation: passingEvaluation("2026-11-07") })).toEqual([
      { type: "close", kind: "breach", day: "2026-11-07" },
    ]);
    expect(planIncident({}, { kind: "recovery", evaluation: passingEvaluation("2026-11-07") })).toEqual([]);
  });

  it("breach: the verdicts decide, whatever the event's name; the repo's enforce setting wins over the server's", () => {
    expect(planIncident({}, { kind: "recovery", evaluation: failingEvaluation("2026-11-05") })[0]?.type).toBe("open");
    const reportOnly = failingEvaluation("2026-11-05");
    reportOnly.verdicts[0].enforced = false;
    expect(planIncident({}, { kind: "breach", evaluation: reportOnly })).toEqual([]);
    expect(planIncident({}, { kind: "breach", evaluation: failingEvaluation("2026-11-05") }, { signup_conversion_rate: { enforce: false } })).toEqual([]);
    // A repo that enforces what the server only reports gets its issue, as its PR check fails on it.
    expect(planIncident({}, { kind: "breach", evaluation: reportOnly }, { signup_conversion_rate: { enforce: true } })).toEqual([
      { type: "open", kind: "breach", day: "2026-11-05" },
    ]);
  });

  it("data problems: audit keyed by ds, stale by the day of the check; data_ok closes what it fixes", () => {
    const states = { audit_failed: open("audit_failed", "2026-11-05"), stale: open("stale", "2026-11-06", "2026-11-03") };
    expect(planIncident(states, { kind: "audit_failed", dataset: "default", ds: "2026-11-05", checks: [] })).toEqual([]);
    expect(planIncident(states, { kind: "stale", dataset: "default", latestDs: "2026-11-03", ageHours: 60, today: "2026-11-06" })).toEqual([]);
    expect(planIncident(states, { kind: "stale", dataset: "default", latestDs: "2026-11-03", ageHours: 76, today: "2026-11-07" })).toEqual([
      { type: "comment", kind: "stale", day: "2026-11-07", dataDs: "2026-11-03" },
    ]);
    expect(planIncident(states, { kind: "data_ok", dataset: "default", ds: "2026-11-03" })).toEqual([]);
    expect(planIncident(states, { kind: "data_ok", dataset: "default", ds: "2026-11-04" }).map((d) => d.kind)).toEqual(["stale"]);
    expect(planIncident(states, { kind: "data_ok", dataset: "default", ds: "2026-11-05" }).map((d) => d.kind)).toEqual(["audit_failed", "stale"]);
    expect(planIncident({}, { kind: "data_ok", dataset: "default", ds: "2026-11-05" })).toEqual([]);
  });
});

describe("checkFreshness", () => {
  let store: ReturnType<typeof tempDb>;
  beforeEach(() => (store = tempDb()));
  afterEach(() => store.cleanup());

  it("measures the age from the end of the newest published day, ignoring rejected and other datasets", () => {
    const cfg = resolveDataset(parseConfig({ datasets: { shop: { evaluation: { freshness_hours: 30 } } } }), "shop");
    insertPartition(store.db, "shop", "2026-11-03");
    insertPartition(store.db, "shop", "2026-11-05", "rejected");
    insertPartition(store.db, "other", "2026-11-06");
    const latest = (store.db.prepare(`SELECT max(ds) AS ds FROM partitions WHERE dataset = 'shop' AND status = 'published'`).get() as { ds: string }).ds;
    const end = Date.parse(`${latest}T00:00:00Z`) + 86_400_000;

    const early = new Date(end + 29 * 3_600_000);
    expect(checkFreshness(store.db, cfg, early)).toEqual({ stale: false, latestDs: "2026-11-03", ageHours: 29, freshnessHours: 30 });
    expect(freshnessEvent(store.db, cfg, early)).toEqual({ kind: "data_ok", dataset: "shop", ds: "2026-11-03" });

    const late = new Date(end + 52.25 * 3_600_000);
    expect(checkFreshness(store.db, cfg, late)).toEqual({ stale: true, latestDs: "2026-11-03", ageHours: 52.3, freshnessHours: 30 });
    expect(freshnessEvent(store.db, cfg, late)).toMatchObject({ kind: "stale", latestDs: "2026-11-03", today: late.toISOString().slice(0, 10) });
  });

  it("a dataset with nothing published is stale", () => {
    const cfg = resolveDataset(parseConfig({}), "default");
    expect(checkFreshness(store.db, cfg, new Date())).toEqual({ stale: true, latestDs: null, ageHours: null, freshnessHours: 48 });
  });
});
