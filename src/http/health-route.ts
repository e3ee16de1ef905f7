/**
 * `GET /api/guardrail/health` (docs/service.md). Anyone gets `{ok}` (for load
 * balancers); the READ token also sees what is in the store: latest published
 * day per dataset, how old it is, whether it is stale, and the last job.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppDeps } from "../app/deps.js";
import { pingDb, type DB } from "../store/db.js";
import { latestPublishedByDataset } from "../store/partitions.js";
import type { GuardrailConfig } from "../config/schema.js";
import { resolveDataset } from "../config/load.js";
import { hoursSinceZoneDayEnd } from "../shared/dates.js";
import { authorize } from "./auth.js";
import { matchRoute, sendJson } from "./respond.js";
import { jobView, lastJob, type JobView } from "../store/jobs.js";

export interface DatasetHealth {
  dataset: string;
  latest_ds: string | null;
  /** Hours since the END of the latest published day (a day's export cannot exist before it ends). */
  age_hours: number | null;
  freshness_hours: number;
  stale: boolean;
}

export interface HealthDetails {
  ok: boolean;
  database: { reachable: boolean; error?: string };
  datasets: DatasetHealth[];
  last_job: JobView | null;
  checked_at: string;
}

export function datasetHealth(db: DB, config: GuardrailConfig, now: Date): DatasetHealth[] {
  const latest = latestPublishedByDataset(db);
  // Configured datasets with nothing published yet are the stalest of all.
  const names = [...new Set([...latest.keys(), ...Object.keys(config.datasets)])].sort();
  return names.map((dataset) => {
    const resolved = resolveDataset(config, dataset);
    const freshness = resolved.evaluation.freshness_hours;
    const ds = latest.get(dataset) ?? null;
    const age = ds ? Math.max(0, hoursSinceZoneDayEnd(ds, resolved.timezone, now)) : null;
    return {
      dataset,
      latest_ds: ds,
      age_hours: age === null ? null : Math.round(age * 10) / 10,
      freshness_hours: freshness,
      stale: age === null || age > freshness,
    };
  });
}

export function healthDetails(db: DB, config: GuardrailConfig, now = new Date()): HealthDetails {
  const database = pingDb(db);
  if (!database.reachable) return { ok: false, database, datasets: [], last_job: null, checked_at: now.toISOString() };
  const job = lastJob(db);
  return { ok: true, database, datasets: datasetHealth(db, config, now), last_job: job ? jobView(job) : null, checked_at: now.toISOString() };
}

export async function handleHealth(req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<boolean> {
  if (!matchRoute(req, "GET", "/api/guardrail/health")) return false;
  if (!authorize(req, deps, "read")) {
    const ok = pingDb(deps.db).reachable;
    sendJson(res, ok ? 200 : 503, { ok });
    return true;
  }
  const details = healthDetails(deps.db, deps.config);
  sendJson(res, details.ok ? 200 : 503, details);
  return true;
}
