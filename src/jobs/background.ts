/**
 * What the service does besides answering requests: on start, jobs a crash
 * left `running` become `failed` (retryable) and queued jobs resume; then a
 * timer watches data freshness so stale data alerts without anyone uploading.
 */
import type { Probot } from "probot";
import type { AppDeps } from "../app/deps.js";
import { describeError } from "../shared/errors.js";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { referencedUploads, releaseOldFailedUploads } from "../store/jobs.js";
import { recoverInterruptedJobs } from "./recover.js";
import { holdLease } from "../store/lease.js";
import { reconcileInstallations } from "./reconcile.js";
import { describeFailure } from "./fan-out.js";
import type { Octokit } from "../github/octokit.js";
import { serviceFor, type ServiceOptions } from "./service.js";
import { checkStaleness } from "./freshness.js";

/** Deletes the uploads of jobs that failed longer ago than `olderThanMs` (see releaseOldFailedUploads). */
export function sweepFailedUploads(deps: Pick<AppDeps, "db">, olderThanMs: number, log: { info(msg: string): void }, now = new Date()): number {
  const files = releaseOldFailedUploads(deps.db, olderThanMs, now);
  for (const f of files) rmSync(f, { force: true });
  if (files.length) log.info(`guardrail: deleted ${files.length} upload(s) of jobs that failed more than ${Math.round(olderThanMs / 86_400_000)} days ago`);
  return files.length;
}

/**
 * At start, no upload is in progress: every `.part` file is what a crash cut
 * short, and an `.upload` no job points at was stored just before a crash
 * (between the rename and the job row). Both only fill the disk.
 */
export function sweepUploadDir(deps: Pick<AppDeps, "db">, uploadDir: string, log: { info(msg: string): void }): string[] {
  const keep = referencedUploads(deps.db);
  const removed: string[] = [];
  for (const name of readdirSync(uploadDir)) {
    const path = join(uploadDir, name);
    if (name.endsWith(".part") || (name.endsWith(".upload") && !keep.has(path))) {
      rmSync(path, { force: true });
      removed.push(name);
    }
  }
  if (removed.length) log.info(`guardrail: removed ${removed.length} leftover upload file(s) a crash left behind: ${removed.join(", ")}`);
  return removed;
}

/** Recovers jobs left running by a crash, starts the freshness timer. Returns a stop function. */
export function startBackground(app: Probot | null, deps: AppDeps, overrides: Partial<ServiceOptions> = {}): () => void {
  const service = serviceFor(app, deps, overrides);
  // Announce that this service holds the database: `guardrail restore` refuses meanwhile.
  const releaseLease = holdLease(service.dbPath);
  sweepUploadDir(deps, service.uploadDir, service.log);
  // Jobs left running are settled from the partitions table before any new job starts.
  const recovered = recoverInterruptedJobs(deps.db, service.log)
    .then((jobs) => {
      for (const { job, outcome } of jobs) service.queue.settle(job, outcome);
    })
    .catch((err) => service.log.error(`guardrail: recovering interrupted jobs failed: ${describeError(err)}`))
    .finally(() => service.queue.kick());
  service.recovered = recovered;
  // Repositories installed while the service was down, or before this database existed.
  let reconciling: Promise<unknown> | null = null;
  const reconcile = () => {
    if (!app || !(service.opts.reconcile ?? !!process.env.APP_ID) || reconciling) return;
    reconciling = reconcileInstallations((id) => app.auth(id) as Promise<Octokit>, deps, service.log)
      .catch((err) => service.log.error(`guardrail reconcile failed: ${describeFailure(err)}`))
      .finally(() => (reconciling = null));
  };
  reconcile();
  service.reconciled = reconciling ?? Promise.resolve();
  const hourly = setInterval(reconcile, 60 * 60 * 1000);
  hourly.unref();
  // One pass at a time: a slow GitHub must not pile ticks up.
  let running: Promise<unknown> | null = null;
  const tick = () => {
    sweepFailedUploads(deps, service.opts.failedUploadMs, service.log);
    if (running) return;
    running = checkStaleness(deps, service.auth, service.log)
      .catch((err) => service.log.error(`guardrail freshness check failed: ${describeError(err)}`))
      .finally(() => (running = null));
  };
  // A first pass soon after start: a service restarted more often than the interval would otherwise never check.
  const first = setTimeout(tick, service.opts.freshnessFirstDelayMs);
  first.unref();
  const timer = setInterval(tick, service.opts.freshnessIntervalMs);
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
    clearInterval(hourly);
    service.queue.stop();
    releaseLease();
  };
}
