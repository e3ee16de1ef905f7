/**
 * Runs one ingest in a child process (`node bin/guardrail.js ingest … --json`)
 * so a large export never blocks the webhook server's event loop, and a crash
 * of the ingest cannot take the service down.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { IngestResult } from "../shared/types.js";
import type { JobRow } from "../store/jobs.js";

/** Same depth from src/jobs and lib/jobs, so this resolves in tests and in production. */
export const GUARDRAIL_BIN = fileURLToPath(new URL("../../bin/guardrail.js", import.meta.url));

export interface IngestOutcome {
  state: "published" | "rejected" | "failed";
  result: IngestResult | null;
  error: string | null;
}

export interface IngestContext {
  dbPath: string;
  /** The service's configuration, written where the child can read it. */
  configFile?: string;
  timeoutMs: number;
  /** Lets the queue kill the child on stop. */
  onSpawn?: (kill: () => void) => void;
}

export type IngestRunner = (job: JobRow, ctx: IngestContext) => Promise<IngestOutcome>;

const STDERR_TAIL = 8192;

/** The one sentence the CLI printed last on stderr (it prefixes errors with "guardrail: "). */
export function lastErrorLine(stderr: string): string | null {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const line = lines.reverse().find((l) => l.startsWith("guardrail:")) ?? lines[0];
  return line ? line.replace(/^guardrail:\s*/, "") : null;
}

/** Maps the CLI contract (exit 0 published · 3 audit failed · 2 error) to a job outcome. */
export function interpretIngest(code: number | null, signal: string | null, stdout: string, stderr: string): IngestOutcome {
  let result: IngestResult | null = null;
  try {
    const text = stdout.trim();
    if (text) result = JSON.parse(text) as IngestResult;
  } catch {
    // A child killed mid-write leaves partial JSON: the exit code and stderr below say what happened.
    result = null;
  }
  if (code === 0 && result) return { state: "published", result, error: null };
  if (code === 3 && result) return { state: "rejected", result, error: null };
  if (signal) return { state: "failed", result, error: `The ingest process was stopped (${signal}); nothing was published.` };
  const why = lastErrorLine(stderr) ?? `the ingest exited with code ${code} and no message`;
  return { state: "failed", result, error: why };
}

export const runIngestChild: IngestRunner = (job, ctx) =>
  new Promise((resolve) => {
    if (!job.file_path) {
      resolve({ state: "failed", result: null, error: "The uploaded file of this job is gone; upload the export again." });
      return;
    }
    const command = job.kind === "agg" ? "ingest-agg" : "ingest";
    const args = [GUARDRAIL_BIN, command, job.file_path, "--ds", job.ds, "--dataset", job.dataset, "--db", ctx.dbPath, "--json"];
    if (ctx.configFile) args.push("--config", ctx.configFile);
    if (job.allow_partial) args.push("--allow-partial");
    // The IPC channel is how the child notices the service died (src/cli/parent-watch.ts).
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe", "ipc"], env: { ...process.env, GUARDRAIL_PROGRESS: "" } });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr!.setEncoding("utf8").on("data", (c: string) => {
      stderr = (stderr + c).slice(-STDERR_TAIL);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, ctx.timeoutMs);
    ctx.onSpawn?.(() => child.kill("SIGTERM"));
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ state: "failed", result: null, error: `Could not start the ingest process (${err.message}).` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        resolve({ state: "failed", result: null, error: `The ingest took longer than ${Math.round(ctx.timeoutMs / 1000)} s and was stopped; nothing was published.` });
        return;
      }
      const outcome = interpretIngest(code, signal, stdout, stderr);
      // The job's answer goes to the uploader: name "the upload", not the server's paths.
      if (outcome.error) outcome.error = outcome.error.replaceAll(job.file_path!, "the upload").replaceAll(ctx.dbPath, "the database");
      resolve(outcome);
    });
  });
