/**
 * One service instance per AppDeps: the upload folder, the job queue and the
 * after-job work. `registerRoutes` and `startBackground` are called separately
 * by src/index.ts, so they meet here instead of passing objects around.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Probot } from "probot";
import type { AppDeps } from "../app/deps.js";
import { resolveDataset } from "../config/load.js";
import { evaluateDay } from "../evaluate/index.js";
import { describeError } from "../shared/errors.js";
import { latestPublishedDs } from "../store/partitions.js";
import { JobQueue, type QueueLog } from "./queue.js";
import type { IngestOutcome, IngestRunner } from "./ingest-child.js";
import type { JobRow } from "../store/jobs.js";
import { fanOut, type FanOutEvent, type FanOutTargets, type InstallationOctokit } from "./fan-out.js";
import { defaultTargets } from "./targets.js";
import { DEFAULT_MAX_UPLOAD_BYTES } from "../events/limits.js";
import { verdicts } from "../shared/telemetry.js";

export interface ServiceOptions {
  /** Largest accepted upload (GUARDRAIL_MAX_UPLOAD_BYTES, default 2 GiB). */
  maxUploadBytes: number;
  /** An upload that sends nothing for this long is cut off (GUARDRAIL_UPLOAD_IDLE_SECONDS, default 60 s). */
  uploadIdleMs: number;
  jobTimeoutMs?: number;
  /** How often the background timer checks data freshness (default hourly). */
  freshnessIntervalMs: number;
  /** A failed job's upload is kept this long for a retry, then deleted (GUARDRAIL_FAILED_UPLOAD_DAYS, default 7). */
  failedUploadMs: number;
  /** Delay of the first freshness check after start (default 60 s). */
  freshnessFirstDelayMs: number;
  /**
   * List the app's installations and repositories at start and hourly
   * (src/jobs/reconcile.ts). Default: on when the GitHub App is configured (APP_ID).
   */
  reconcile?: boolean;
  /** Tests: replace the child-process ingest or the GitHub fan-out. */
  runIngest?: IngestRunner;
  targets?: FanOutTargets<unknown>;
  /** Tests: replace `app.auth`. */
  auth?: (installationId: number) => Promise<InstallationOctokit>;
}

export interface Service {
  queue: JobQueue;
  uploadDir: string;
  dbPath: string;
  opts: ServiceOptions;
  log: QueueLog;
  /** Settles when the jobs a previous run left `running` are recovered (src/jobs/recover.ts). */
  recovered?: Promise<void>;
  /** Settles when the reconciliation at start has run (src/jobs/reconcile.ts). */
  reconciled?: Promise<unknown>;
  /** Installation Octokit factory; null without a GitHub App (tests, local runs). */
  auth: ((installationId: number) => Promise<InstallationOctokit>) | null;
}

export { DEFAULT_MAX_UPLOAD_BYTES };

function positiveEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (!raw) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export function optionsFromEnv(): ServiceOptions {
  return {
    maxUploadBytes: positiveEnv("GUARDRAIL_MAX_UPLOAD_BYTES") ?? DEFAULT_MAX_UPLOAD_BYTES,
    uploadIdleMs: (positiveEnv("GUARDRAIL_UPLOAD_IDLE_SECONDS") ?? 60) * 1000,
    freshnessIntervalMs: 60 * 60 * 1000,
    freshnessFirstDelayMs: 60 * 1000,
    failedUploadMs: (positiveEnv("GUARDRAIL_FAILED_UPLOAD_DAYS") ?? 7) * 86_400_000,
  };
}

const services = new WeakMap<AppDeps, Service>();

function appLog(app: Probot | null): QueueLog {
  if (!app) return { info: () => {}, warn: () => {}, error: () => {} };
  // Probot sets its logger up lazily, so look it up at each call.
  return { info: (m) => app.log?.info(m), warn: (m) => app.log?.warn(m), error: (m) => app.log?.error(m) };
}

/** The service of these deps, created on first use; `overrides` only count on that first call. */
export function serviceFor(app: Probot | null, deps: AppDeps, overrides: Partial<ServiceOptions> = {}): Service {
  const existing = services.get(deps);
  if (existing) return existing;
  const dbPath = deps.db.name;
  if (!dbPath || dbPath === ":memory:") throw new Error("The service needs a database file (GUARDRAIL_DB), not an in-memory database: ingest runs in a child process.");
  const uploadDir = join(dirname(resolve(dbPath)), "uploads");
  mkdirSync(uploadDir, { recursive: true });
  // The child ingest reads exactly the configuration the service runs with (YAML is a superset of JSON).
  const configFile = join(uploadDir, "service-config.json");
  writeFileSync(configFile, JSON.stringify(deps.config), { mode: 0o600 });
  chmodSync(configFile, 0o600);
  const opts: ServiceOptions = { ...optionsFromEnv(), ...overrides };
  const log = appLog(app);
  const auth = opts.auth ?? (app ? (id: number) => app.auth(id) : null);
  const targets = opts.targets ?? (defaultTargets(deps, log) as FanOutTargets<unknown>);
  const queue = new JobQueue({
    db: deps.db,
    dbPath: resolve(dbPath),
    configFile,
    runIngest: opts.runIngest,
    jobTimeoutMs: opts.jobTimeoutMs,
    log,
    afterJob: (job, outcome) => afterJob(deps, targets, auth, job, outcome, log),
  });
  const service: Service = { queue, uploadDir, dbPath: resolve(dbPath), opts, log, auth };
  services.set(deps, service);
  return service;
}

/** Evaluate a published day, then update GitHub; a rejected day raises the audit alert. */
export async function afterJob(
  deps: AppDeps,
  targets: FanOutTargets<unknown>,
  auth: ((installationId: number) => Promise<InstallationOctokit>) | null,
  job: JobRow,
  outcome: IngestOutcome,
  log: QueueLog,
): Promise<void> {
  let event: FanOutEvent;
  if (outcome.state === "published") {
    try {
      // Stored even for an older day, so the dashboard's history has its verdict.
      const evaluation = evaluateDay(deps.db, resolveDataset(deps.config, job.dataset), { ds: job.ds });
      for (const v of evaluation.verdicts) verdicts.inc({ dataset: job.dataset, metric: v.metric, verdict: v.verdict });
      // A backfilled or corrected older day is history: failing regression checks on
      // long-shipped commits, incident issues and chat messages about it would be noise.
      const latest = latestPublishedDs(deps.db, job.dataset);
      if (latest !== null && latest > job.ds) {
        log.info(`guardrail job ${job.id}: ${job.dataset} ${job.ds} is older than the newest published day ${latest}; evaluated and stored, GitHub and chat not updated`);
        return;
      }
      event = { kind: "published", dataset: job.dataset, ds: job.ds, evaluation };
    } catch (err) {
      log.error(`guardrail job ${job.id}: evaluating ${job.dataset} ${job.ds} failed: ${describeError(err)}`);
      return;
    }
  } else if (outcome.state === "rejected") {
    event = { kind: "rejected", dataset: job.dataset, ds: job.ds, result: outcome.result };
  } else return;
  // Without a GitHub App (e.g. a local run) only the chat hears about it.
  await fanOut(targets, auth, event, log);
}
