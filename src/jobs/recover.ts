/**
 * What a restarted service does with jobs its previous life left `running`.
 * The ingest child may have got as far as publishing before the service
 * died (docs/service.md#jobs), so the partitions table decides, not a guess:
 * a batch of the job's upload that is published (or rejected) settles the
 * job that way and its after-publish work still runs; only a job whose batch
 * never got there becomes `failed` (retryable). A child still alive is
 * killed first, so it cannot publish after this check.
 */
import type { DB } from "../store/db.js";
import { batchFromSource, batchOwnerAlive, getBatch } from "../store/partitions.js";
import type { IngestResult } from "../shared/types.js";
import { INTERRUPTED_MESSAGE, runningJobs, type JobRow } from "../store/jobs.js";
import type { IngestOutcome } from "./ingest-child.js";
import type { QueueLog } from "./queue.js";

export interface RecoveredJob {
  job: JobRow;
  outcome: IngestOutcome;
}

async function waitGone(b: { owner_pid: number | null; owner_started: string | null }, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (batchOwnerAlive(b)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Decides the outcome of every job left running; the caller records it (JobQueue.settle). */
export async function recoverInterruptedJobs(db: DB, log: QueueLog, killWaitMs = 10_000): Promise<RecoveredJob[]> {
  const out: RecoveredJob[] = [];
  for (const job of runningJobs(db)) {
    let batch = job.file_path && job.started_at ? batchFromSource(db, job.dataset, job.ds, job.file_path, job.started_at) : null;
    if (batch && batch.status === "staged" && batchOwnerAlive(batch)) {
      log.warn(`guardrail job ${job.id}: its ingest (pid ${batch.owner_pid}) outlived the previous service; stopping it`);
      try {
        process.kill(batch.owner_pid!, "SIGKILL");
      } catch (err) {
        log.warn(`guardrail job ${job.id}: could not stop pid ${batch.owner_pid}: ${(err as Error).message}`);
      }
      await waitGone(batch, killWaitMs);
      batch = { ...batch, ...getBatch(db, batch.id)! };
    }
    const result = batch?.result_json ? (JSON.parse(batch.result_json) as IngestResult) : null;
    let outcome: IngestOutcome;
    if (batch && (batch.status === "published" || batch.status === "replaced")) outcome = { state: "published", result, error: null };
    else if (batch && batch.status === "rejected") outcome = { state: "rejected", result, error: null };
    else outcome = { state: "failed", result: null, error: INTERRUPTED_MESSAGE(job.id) };
    log.warn(
      outcome.state === "failed"
        ? `guardrail job ${job.id} was running when the service stopped and published nothing; marked failed (retry with POST /api/guardrail/jobs/${job.id}/retry)`
        : `guardrail job ${job.id} was running when the service stopped; its batch ${batch!.id} was ${batch!.status}, so the job is ${outcome.state}`,
    );
    out.push({ job, outcome });
  }
  return out;
}
