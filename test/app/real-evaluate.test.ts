import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addDays, epochMsToDs } from "../../src/shared/dates.js";
import { API, REPO, deliver, expectNewCheck, harness, mockRepoConfig, nock, prPayload, type Harness } from "./helpers.js";

// Only the signup guardrail, so the day's status depends on it alone.
const CONFIG = {
  metrics: [
    { kind: "count", name: "website_hits", actions: ["page_visit"] },
    { kind: "count", name: "signups", actions: ["signup"] },
    { kind: "ratio", name: "signup_conversion_rate", numerator: "signups", denominator: "website_hits", guardrail: true },
  ],
};

/** A published day with `hits` page visits converting at `rate` (plain rows, as the metrics step writes them). */
function publishDay(h: Harness, ds: string, hits: number, rate: number) {
  const batch = Number(
    h.db
      .prepare(`INSERT INTO partitions (dataset, ds, kind, status, ingested_at, published_at) VALUES ('default', ?, 'raw', 'published', ?, ?)`)
      .run(ds, new Date().toISOString(), new Date().toISOString()).lastInsertRowid,
  );
  const signups = Math.round(hits * rate);
  const ins = h.db.prepare(
    `INSERT INTO metric_values (batch_id, dataset, ds, metric, dimension, value_key, value, numerator, denominator) VALUES (?, 'default', ?, ?, '', '', ?, ?, ?)`,
  );
  ins.run(batch, ds, "website_hits", hits, null, null);
  ins.run(batch, ds, "signups", signups, null, null);
  ins.run(batch, ds, "signup_conversion_rate", signups / hits, signups, hits);
}

describe("guardrail check with the real evaluator", () => {
  let h: Harness;
  // Yesterday, so the data is fresh for the evaluator's staleness rule.
  const today = addDays(epochMsToDs(Date.now()), -1);
  beforeEach(async () => {
    nock.disableNetConnect();
    h = await harness(null, CONFIG);
    const hits = [10_000, 10_200, 9_900, 10_100];
    hits.forEach((n, i) => publishDay(h, addDays(today, -7 * (i + 1)), n, 0.04));
    publishDay(h, today, 10_000, 0.024); // −40 %
  });
  afterEach(() => {
    nock.cleanAll();
    h.cleanup();
  });

  it("fails on a 40 % decline of the signup rate and passes when the repo stops enforcing it", async () => {
    mockRepoConfig(null);
    const bodies: any[] = [];
    const gh = expectNewCheck(1, bodies);
    await deliver(h.probot, "pull_request", prPayload("opened", 1, "e".repeat(40)));
    expect(gh.isDone()).toBe(true);
    expect(bodies[1].conclusion).toBe("failure");
    // Expected = pooled baseline rate: (400+408+396+404) / (10000+10200+9900+10100) = 4.00 %.
    expect(bodies[1].output.summary).toContain("| **signup_conversion_rate** (guardrail) | 2.40 % | 4.00 % | −40 % | ❌ fail |");
    expect(bodies[1].output.title).toBe(`Merge freeze: signup_conversion_rate −40 % on ${today}`);

    mockRepoConfig("metrics:\n  signup_conversion_rate:\n    enforce: false\n");
    const again = nock(API).patch(`/repos/${REPO}/check-runs/1`, (b) => (bodies.push(b), true)).reply(200, { id: 1 });
    await deliver(h.probot, "pull_request", prPayload("synchronize", 1, "e".repeat(40)));
    expect(again.isDone()).toBe(true);
    expect(bodies[2].conclusion).toBe("success");
    expect(bodies[2].output.summary).toContain("(guardrail, not enforced)");
  });
});
