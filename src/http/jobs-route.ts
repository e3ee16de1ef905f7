/**
 * `GET /api/guardrail/jobs/:id` and `POST /api/guardrail/jobs/:id/retry`
 * (docs/service.md), both for the ingest token: the warehouse job polls its upload.
 */
import { existsSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppDeps } from "../app/deps.js";
import { authorize } from "./auth.js";
import { matchRoute, sendJson } from "./respond.js";
import { refuse } from "./exports-route.js";
import { getJob, jobView, requeueJob } from "../store/jobs.js";
import type { Service } from "../jobs/service.js";

const JOB_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function handleJobs(req: IncomingMessage, res: ServerResponse, deps: AppDeps, service: Service): Promise<boolean> {
  const show = matchRoute(req, "GET", "/api/guardrail/jobs/:id");
  const retry = show ? null : matchRoute(req, "POST", "/api/guardrail/jobs/:id/retry");
  const params = show ?? retry;
  if (!params) return false;
  if (!authorize(req, deps, "ingest")) {
    refuse(res, 401, "Send the ingest token as Authorization: Bearer <GUARDRAIL_INGEST_TOKEN>.");
    return true;
  }
  const id = params.id!;
  const job = JOB_ID_RE.test(id) ? getJob(deps.db, id) : null;
  if (!job) {
    sendJson(res, 404, { error: `No job with id "${id.slice(0, 80)}".` });
    return true;
  }
  if (show) {
    sendJson(res, 200, jobView(job));
    return true;
  }
  if (job.state !== "failed") {
    sendJson(res, 409, { ...jobView(job), error: `Job ${id} is ${job.state}; only a failed job can be retried.` });
    return true;
  }
  if (!job.file_path || !existsSync(job.file_path)) {
    sendJson(res, 410, { error: `The upload of job ${id} is no longer on disk; upload the export again.` });
    return true;
  }
  requeueJob(deps.db, id);
  service.queue.kick();
  sendJson(res, 202, jobView(getJob(deps.db, id)!));
  return true;
}
