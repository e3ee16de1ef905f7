import { describe, expect, it } from "vitest";
import { hourOwners, isShaVersion, prTraffic } from "../../src/canary/traffic.js";
import type { CanaryDeployment } from "../../src/store/canary.js";

const A = "a".repeat(8) + "1".repeat(32);
const B = "b".repeat(40);
const dep = (id: number, sha: string, version: string, deployedAt: string): CanaryDeployment => ({
  repo: "acme/shop",
  deploymentId: id,
  sha,
  version,
  environment: "preview",
  deployedAt,
});

describe("which traffic is the PR's", () => {
  it("a version is the head when it is the SHA or a prefix of at least 7 hex characters", () => {
    expect(isShaVersion(A, A)).toBe(true);
    expect(isShaVersion("AAAAAAA", A)).toBe(true);
    expect(isShaVersion("aaaaaa", A)).toBe(false);
    expect(isShaVersion("aaaaaaab", A)).toBe(false);
    expect(isShaVersion("release-aaaaaaaa", A)).toBe(false);
  });

  it("a deployed version belongs to the build that was live for the whole hour; a redeploy hour belongs to neither", () => {
    const owners = hourOwners("2026-11-05", [
      dep(1, A, "preview-12", "2026-11-05T10:00:00Z"),
      dep(2, B, "preview-12", "2026-11-05T13:30:00Z"),
      dep(3, A, "canary", "2026-11-04T22:00:00Z"),
    ]);
    const preview = owners.get("preview-12")!;
    expect(preview.slice(0, 10)).toEqual(Array(10).fill(null));
    expect(preview.slice(10, 13)).toEqual([A, A, A]);
    expect(preview[13]).toBeNull();
    expect(preview.slice(14)).toEqual(Array(10).fill(B));
    expect(owners.get("canary")).toEqual(Array(24).fill(A));
  });

  it("hours are the dataset's wall-clock hours, as event_hour is: a deploy at 08:00Z owns Berlin's 10:00 onwards in summer", () => {
    const owners = hourOwners("2026-07-08", [dep(1, A, "preview-9", "2026-07-08T08:00:00Z"), dep(2, B, "preview-9", "2026-07-07T18:00:00Z")], "Europe/Berlin");
    expect(owners.get("preview-9")).toEqual([...Array(10).fill(B), ...Array(14).fill(A)]);
    // On Berlin's fall-back day 02:00 lasts two hours (00:00Z to 02:00Z): a redeploy at 01:30Z falls inside it.
    const fall = hourOwners("2026-10-25", [dep(1, A, "preview-9", "2026-10-24T12:00:00Z"), dep(2, B, "preview-9", "2026-10-25T01:30:00Z")], "Europe/Berlin");
    expect(fall.get("preview-9")!.slice(0, 4)).toEqual([A, A, null, B]);
  });

  it("sorts every slice into the PR's build, the rest, or neither", () => {
    const rows = [
      { version: A.slice(0, 7), hour: 3, action: "page_visit", events: 5 },
      { version: "preview-12", hour: 11, action: "page_visit", events: 7 },
      { version: "preview-12", hour: 13, action: "page_visit", events: 7 },
      { version: "preview-12", hour: 15, action: "page_visit", events: 7 },
      { version: "v1", hour: 11, action: "page_visit", events: 70 },
      { version: null, hour: 11, action: "page_visit", events: 700 },
    ];
    const t = prTraffic("2026-11-05", A, rows, [dep(1, A, "preview-12", "2026-11-05T10:00:00Z"), dep(2, B, "preview-12", "2026-11-05T13:30:00Z")]);
    expect(rows.map(t.sideOf)).toEqual(["canary", "canary", "excluded", "rest", "rest", "rest"]);
    expect(t.versions).toEqual([A.slice(0, 7), "preview-12"]);
  });
});
