/**
 * The `guardrail` PR check on a day published marked partial (docs/ingest.md,
 * "Partial days"), with the real evaluator on a real store and GitHub stood in
 * for by nock: neutral, the title and the summary say the day is partial and
 * why, every verdict inconclusive. A complete export of the same day replaces
 * it and the next check judges it, with no partial mark left.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addDays, epochMsToDs } from "../../src/shared/dates.js";
import { publishDay } from "../gate/helpers.js";
import { API, REPO, deliver, expectNewCheck, harness, mockRepoConfig, nock, prPayload, type Harness } from "./helpers.js";

const CONFIG = {
  metrics: [
    { kind: "count", name: "website_hits", actions: ["page_visit"] },
    { kind: "count", name: "signups", actions: ["signup"] },
    { kind: "ratio", name: "signup_conversion_rate", numerator: "signups", denominator: "website_hits", guardrail: true },
  ],
};
const WHY = "it failed completeness (day_volume, hour_coverage)";
const HEAD = "e".repeat(40);

describe("guardrail check on a partial day", () => {
  let h: Harness;
  // Yesterday, so the data is fresh for the evaluator's staleness rule.
  const today = addDays(epochMsToDs(Date.now()), -1);
  beforeEach(async () => {
    nock.disableNetConnect();
    h = await harness(null, CONFIG);
    [400, 410, 395, 405].forEach((signups, i) => publishDay(h.db, addDays(today, -7 * (i + 1)), 10_000, signups, null));
    publishDay(h.db, today, 2_100, 61, WHY); // cut off in the morning, published with --allow-partial
  });
  afterEach(() => {
    nock.cleanAll();
    h.cleanup();
  });

  it("is neutral and says the day is partial and why; a complete export of the day replaces it and the mark goes away", async () => {
    mockRepoConfig(null);
    const bodies: any[] = [];
    const gh = expectNewCheck(1, bodies);
    await deliver(h.probot, "pull_request", prPayload("opened", 1, HEAD));
    expect(gh.isDone()).toBe(true);
    const partial = bodies[1];
    expect(partial.conclusion).toBe("neutral");
    expect(partial.output.title).toBe(`No guardrail verdict for ${today}: published partial`);
    expect(partial.output.summary).toContain(`**day** ${today} (published PARTIAL)`);
    expect(partial.output.summary).toContain(`The export for ${today} was published partial (${WHY}), so its verdicts are inconclusive until a complete export replaces it.`);
    expect(partial.output.summary).toContain("| **signup_conversion_rate** (guardrail) | – | – | – | ❔ inconclusive |");

    publishDay(h.db, today, 10_000, 402, null);
    mockRepoConfig(null);
    const again = nock(API).patch(`/repos/${REPO}/check-runs/1`, (b) => (bodies.push(b), true)).reply(200, { id: 1 });
    await deliver(h.probot, "pull_request", prPayload("synchronize", 1, HEAD));
    expect(again.isDone()).toBe(true);
    const complete = bodies[2];
    expect(complete.conclusion).toBe("success");
    expect(complete.output.summary).toContain("| **signup_conversion_rate** (guardrail) | 4.02 % | 4.03 % |");
    expect(`${complete.output.title}\n${complete.output.summary}`).not.toMatch(/partial/i);
  });
});
