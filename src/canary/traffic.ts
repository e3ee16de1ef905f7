/**
 * Which traffic of a day is a PR's (docs/canary.md), pure:
 * - events whose app_version is the head SHA, or a prefix of it of at least
 *   7 characters, in every hour;
 * - events of a version that a canary / preview deployment maps to the SHA,
 *   in the hours that deployment was the live one for that version. An hour in
 *   which the version was redeployed from another commit served both builds:
 *   it is left out of both sides.
 */
import { clockLocalToUtc, dayClock, dsToEpochMs } from "../shared/dates.js";
import type { CanaryDeployment, VersionHourRow } from "../store/canary.js";
import type { Side } from "./judge.js";

const HOUR_MS = 3_600_000;
const HEX = /^[0-9a-f]+$/;

/** True when `version` is the SHA or a prefix of it of at least 7 characters. */
export function isShaVersion(version: string, sha: string): boolean {
  const v = version.toLowerCase();
  const s = sha.toLowerCase();
  return v.length >= 7 && HEX.test(v) && s.startsWith(v);
}

/** Who served `version` in each hour of `ds`: the SHA, or null (unclear or unknown). */
export function hourOwners(ds: string, deployments: CanaryDeployment[], timeZone = "UTC"): Map<string, (string | null)[]> {
  const byVersion = new Map<string, CanaryDeployment[]>();
  for (const d of deployments) {
    const list = byVersion.get(d.version) ?? [];
    list.push(d);
    byVersion.set(d.version, list);
  }
  // Hours are the wall-clock hours of the dataset's zone, as event_hour is (docs/ingest.md, "Time zones"):
  // hour h runs from local h:00 to local (h+1):00 — no time on a spring-forward day's skipped hour, two hours on a fall-back day's repeated one.
  const clock = dayClock(ds, timeZone);
  const dayStart = dsToEpochMs(ds);
  const hourStart = (h: number) => (h === 24 ? clock.end : clockLocalToUtc(clock, dayStart + h * HOUR_MS));
  const out = new Map<string, (string | null)[]>();
  for (const [version, list] of byVersion) {
    const sorted = list.map((d) => ({ sha: d.sha.toLowerCase(), at: Date.parse(d.deployedAt) })).sort((a, b) => a.at - b.at);
    const owners: (string | null)[] = [];
    for (let h = 0; h < 24; h++) {
      const start = hourStart(h);
      const end = hourStart(h + 1);
      const live = [...sorted].reverse().find((d) => d.at <= start);
      const during = sorted.filter((d) => d.at > start && d.at < end);
      const builds = new Set([...(live ? [live.sha] : []), ...during.map((d) => d.sha)]);
      // One build in the hour: it served it. None recorded yet, or two: nobody can say whose traffic it was.
      owners.push(builds.size === 1 ? [...builds][0] : null);
    }
    out.set(version, owners);
  }
  return out;
}

export interface PrTraffic {
  /** The versions whose traffic was (at least partly) the PR's. */
  versions: string[];
  sideOf(row: VersionHourRow): Side;
}

/** The side of every (version, hour) slice of `ds` for the PR whose head is `sha`. */
export function prTraffic(ds: string, sha: string, rows: VersionHourRow[], deployments: CanaryDeployment[], timeZone = "UTC"): PrTraffic {
  const head = sha.toLowerCase();
  const owners = hourOwners(ds, deployments, timeZone);
  const sideOf = (r: VersionHourRow): Side => {
    if (r.version === null) return "rest";
    if (isShaVersion(r.version, head)) return "canary";
    const own = owners.get(r.version);
    if (!own) return "rest";
    const who = own[r.hour];
    if (who === null || who === undefined) return "excluded";
    return who === head ? "canary" : "rest";
  };
  const versions = [...new Set(rows.filter((r) => r.events > 0 && sideOf(r) === "canary").map((r) => r.version!))].sort();
  return { versions, sideOf };
}

/** Whether deployments to `environment` serve a build before it merges (the repo's canary / preview environments). */
export function isCanaryEnvironment(cfg: { canary_environments: string[]; preview_environments: string[] }, environment: string): boolean {
  return cfg.canary_environments.includes(environment) || cfg.preview_environments.includes(environment);
}

/** The app_version a deployment's events carry: `payload.app_version` when set, else its ref, else its SHA. */
export function deploymentVersion(payload: unknown, ref: string | null, sha: string): string {
  const v = payload && typeof payload === "object" ? (payload as Record<string, unknown>).app_version : undefined;
  if (typeof v === "string" && v.trim()) return v.trim();
  return ref && ref.trim() ? ref.trim() : sha;
}
