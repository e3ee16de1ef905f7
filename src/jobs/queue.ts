/**
 * The ingest queue. Jobs run one at a time, oldest first: SQLite has one
 * writer anyway, and two uploads of the same dataset+ds then publish one
 * after the other (the later one replaces the earlier one whole), never a mix.
 * After a job ends, `afterJob` (evaluate + fan-out) runs on its own chain so
 * a slow GitHub fan-out does not hold the next ingest back.
 */
import { existsSync, rmSync } from "node:fs";
import type { DB } from "../store/db.js";
import { describeError } from "../shared/errors.js";
import { auditFailures, eventsIngested, ingestJobDuration, ingestJobs } from "../shared/telemetry.js";
import { finishJob, getJob, markRunning, nextQueuedJob, type JobRow } from "../store/jobs.js";
import { runIngestChild, type IngestOutcome, type IngestRunner } from "./ingest-child.js";

/** The service's logger (src/shared/log.ts). */
export type { Log as QueueLog } from "../shared/log.js";
import type { Log as QueueLog } from "../shared/log.js";

export interface JobQueueOptions {
  db: DB;
  dbPath: string;
  configFile?: string;
  runIngest?: IngestRunner;
  /** Called once per finished job (published, rejected or failed), in order. */
  afterJob?: (job: JobRow, outcome: IngestOutcome) => Promise<void> | void;
  log?: QueueLog;
  jobTimeoutMs?: number;
}

export const DEFAULT_JOB_TIMEOUT_MS = 60 * 60 * 1000;

/** The job metrics of docs/operations.md#metrics. */
function countJob(job: JobRow, outcome: IngestOutcome): void {
  ingestJobs.inc({ state: outcome.state });
  if (job.started_at) ingestJobDuration.observe({ state: outcome.state }, Math.max(0, (Date.now() - Date.parse(job.started_at)) / 1000));
  if (outcome.state === "published") eventsIngested.inc({ dataset: job.dataset }, outcome.result?.rows_loaded ?? 0);
  if (outcome.state === "rejected") auditFailures.inc({ dataset: job.dataset });
}

export class JobQueue {
  private pump: Promise<void> | null = null;
  private after: Promise<void> = Promise.resolve();
  private stopped = false;
  private killCurrent: (() => void) | null = null;
  private readonly log: QueueLog;

  constructor(private readonly opts: JobQueueOptions) {
    this.log = opts.log ?? { info: () => {}, warn: () => {}, error: () => {} };
  }

  /** Starts working through queued jobs unless already doing so. */
  kick(): void {
    if (this.stopped || this.pump) return;
    this.pump = this.drain().finally(() => {
      this.pump = null;
    });
  }

  /** Resolves when no job is running and every after-job hook has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pump) await this.pump;
    await this.after;
  }

  /** Stops taking jobs and stops the running child; its job is failed on the next start. */
  stop(): void {
    this.stopped = true;
    this.killCurrent?.();
  }

  private async drain(): Promise<void> {
    const { db } = this.opts;
    for (let job = nextQueuedJob(db); job && !this.stopped; job = nextQueuedJob(db)) {
      if (!markRunning(db, job.id)) continue;
      const running = getJob(db, job.id)!;
      this.log.info(`guardrail job ${job.id}: ingesting ${job.dataset} ${job.ds} (${job.bytes} bytes)`);
      let outcome: IngestOutcome;
      try {
        outcome = await (this.opts.runIngest ?? runIngestChild)(running, {
          dbPath: this.opts.dbPath,
          configFile: this.opts.configFile,
          timeoutMs: this.opts.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS,
          onSpawn: (kill) => (this.killCurrent = kill),
        });
      } catch (err) {
        outcome = { state: "failed", result: null, error: describeError(err) };
      } finally {
        this.killCurrent = null;
      }
      if (this.stopped && outcome.state === "failed") return; // left running: the next start decides (src/jobs/recover.ts)
      this.settle(running, outcome);
    }
  }

  /**
   * Records a job's outcome, removes its upload unless it failed (a failed job
   * keeps it for a retry), and queues its after-job work in order.
   */
  settle(running: JobRow, outcome: IngestOutcome): void {
    const { db } = this.opts;
    const keepFile = outcome.state === "failed";
    finishJob(db, running.id, outcome.state, { result: outcome.result, error: outcome.error, keepFile });
    countJob(running, outcome);
    if (!keepFile && running.file_path && existsSync(running.file_path)) rmSync(running.file_path, { force: true });
    this.log.info(`guardrail job ${running.id}: ${outcome.state}${outcome.error ? ` (${outcome.error})` : ""}`);
    const finished = getJob(db, running.id)!;
    const hook = this.opts.afterJob;
    if (hook)
      this.after = this.after.then(async () => {
        try {
          await hook(finished, outcome);
        } catch (err) {
          this.log.error(`guardrail job ${running.id}: after-publish work failed: ${describeError(err)}`);
        }
      });
  }
}
