/**
 * `guardrail upload FILE… --url URL --token T [--dataset NAME] [--ds D] [--kind raw|agg] [--wait] [--json] [--allow-partial]`
 * (docs/cli.md, docs/service.md): the warehouse job's client. Each file is streamed as the body
 * of one `POST /api/guardrail/exports` (never read into memory), transient failures (unreachable,
 * reset, 408, 429, 5xx) are retried with exponential backoff, and with --wait the job is polled
 * until it ends. Exit 0 published (or queued without --wait), 3 audit rejected, 1 job failed,
 * 2 usage or transport error.
 */
import { createReadStream, statSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { basename } from "node:path";
import { Option, type Command } from "commander";
import type { RegisterCommand } from "./types.js";
import { addJsonOption, toJson } from "../common.js";
import { UserError } from "../../shared/errors.js";
import { isValidDs } from "../../shared/dates.js";
import { dsFromPath } from "../../events/ds.js";

interface UploadFlags {
  url?: string;
  token?: string;
  dataset: string;
  ds?: string;
  kind: "raw" | "agg";
  wait?: boolean;
  allowPartial?: boolean;
  json?: boolean;
  retries: string;
  retryDelay: string;
  pollInterval: string;
  waitTimeout: string;
}

/** A job as `GET /api/guardrail/jobs/:id` answers it (docs/service.md); the 202 answer has a subset. */
interface JobAnswer {
  id: string;
  state: "queued" | "running" | "published" | "rejected" | "failed";
  [key: string]: unknown;
}

const FINAL = new Set(["published", "rejected", "failed"]);

/** Exit code of one finished (or, without --wait, queued) job. */
export function exitCodeForJob(state: JobAnswer["state"]): number {
  if (state === "rejected") return 3;
  if (state === "failed") return 1;
  return 0;
}

interface Reply {
  status: number;
  body: string;
}

/** An answer or failure worth another try: the network, a timeout, or the server saying "later". */
class Transient extends Error {}

function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** One request with node:http(s), so the body can be a file stream with its Content-Length. */
function send(url: URL, method: string, token: string, timeoutMs: number, file?: { path: string; size: number }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" };
    if (file) {
      headers["content-type"] = "application/octet-stream";
      headers["content-length"] = String(file.size);
    }
    const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, { method, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (err) => reject(new Transient(err.message)));
    });
    req.on("timeout", () => req.destroy(new Transient(`no answer within ${timeoutMs / 1000} s`)));
    req.on("error", (err: NodeJS.ErrnoException) => {
      // The server may answer (413, 401) and close while the body is still going: that answer wins.
      if (err instanceof Transient) reject(err);
      else reject(new Transient(err.code ?? err.message));
    });
    if (!file) return void req.end();
    const body = createReadStream(file.path);
    body.on("error", (err) => req.destroy(new UserError(`${file.path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? err.message}).`)));
    body.pipe(req);
  });
}

/** The error sentence of a JSON answer, if it has one. */
function errorOf(reply: Reply): string {
  try {
    const e = (JSON.parse(reply.body) as { error?: unknown }).error;
    return typeof e === "string" ? `: ${e}` : ".";
  } catch {
    // Not JSON (a proxy's HTML error page): the status alone is the message.
    return ".";
  }
}

interface Policy {
  retries: number;
  delayMs: number;
  timeoutMs: number;
  log(line: string): void;
  sleep(ms: number): Promise<void>;
}

/** Sends until a final answer: retries transient failures with doubling delays, then gives up with one sentence. */
async function withRetries(what: string, policy: Policy, attempt: () => Promise<Reply>): Promise<Reply> {
  for (let n = 0; ; n++) {
    let why: string;
    try {
      const reply = await attempt();
      if (!isTransientStatus(reply.status)) return reply;
      why = `HTTP ${reply.status}${errorOf(reply)}`;
    } catch (err) {
      if (!(err instanceof Transient)) throw err;
      why = err.message;
    }
    if (n >= policy.retries) throw new UserError(`${what} failed after ${n + 1} attempts (${why.replace(/\.$/, "")}).`);
    const delay = policy.delayMs * 2 ** n;
    policy.log(`guardrail upload: ${what} failed (${why.replace(/\.$/, "")}); trying again in ${(delay / 1000).toFixed(delay < 1000 ? 2 : 0)} s`);
    await policy.sleep(delay);
  }
}

function parseJson<T>(reply: Reply, where: string): T {
  try {
    return JSON.parse(reply.body) as T;
  } catch {
    throw new UserError(`${where} answered HTTP ${reply.status} with something that is not JSON; is --url the Guardrail service?`);
  }
}

function positive(flag: string, text: string, { integer = false, zero = false } = {}): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (!zero && n === 0) || (integer && !Number.isInteger(n)))
    throw new UserError(`${flag} "${text}": expected a ${integer ? "whole" : "positive"} number${zero ? " (0 or more)" : ""}.`);
  return n;
}

export const upload: RegisterCommand = (program, setExit) => {
  addJsonOption(
    addDatasetOptionsWithoutConfig(
      program
        .command("upload")
        .argument("<files...>", "export files, one day each (NDJSON or CSV, gzip allowed)")
        .description("upload daily exports to a running Guardrail service, retrying transient failures; with --wait, wait for each job (exit 0 published, 3 rejected, 1 failed, 2 usage or transport error)")
        .option("--url <url>", "the service's base URL (default $GUARDRAIL_URL)")
        .option("--token <token>", "the ingest token (default $GUARDRAIL_INGEST_TOKEN)")
        .option("--ds <date>", "the partition date YYYY-MM-DD (default: a ds=YYYY-MM-DD segment of the file's path)")
        .addOption(new Option("--kind <kind>", "raw events or a warehouse-built aggregate").choices(["raw", "agg"]).default("raw"))
        .option("--wait", "wait until each job is published, rejected or failed, and print the job")
        .option("--allow-partial", "ask the service to publish a day that fails only completeness as partial (allow_partial=true)")
        .option("--retries <n>", "retries of a transient failure (unreachable, 408, 429, 5xx)", "5")
        .option("--retry-delay <seconds>", "first pause before a retry, doubled each time", "2")
        .option("--poll-interval <seconds>", "pause between two looks at a job (--wait)", "5")
        .option("--wait-timeout <seconds>", "give up waiting for a job after this long (--wait)", "3600"),
    ),
  ).action(async (files: string[], flags: UploadFlags) => {
    const base = flags.url ?? process.env.GUARDRAIL_URL;
    if (!base) throw new UserError("no service URL: pass --url or set $GUARDRAIL_URL to the service's base URL.");
    let root: URL;
    try {
      root = new URL(base);
    } catch {
      throw new UserError(`--url "${base}": expected the service's base URL, e.g. https://guardrail.example.com.`);
    }
    if (root.protocol !== "http:" && root.protocol !== "https:") throw new UserError(`--url "${base}": expected an http:// or https:// URL.`);
    const token = flags.token ?? process.env.GUARDRAIL_INGEST_TOKEN;
    if (!token) throw new UserError("no ingest token: pass --token or set $GUARDRAIL_INGEST_TOKEN.");
    if (flags.ds !== undefined && !isValidDs(flags.ds)) throw new UserError(`--ds: expected a date YYYY-MM-DD, got "${flags.ds}".`);
    if (flags.ds !== undefined && files.length > 1) throw new UserError("--ds names one day: upload one file with it, or let each file's path name its day (ds=YYYY-MM-DD).");
    const policy: Policy = {
      retries: positive("--retries", flags.retries, { integer: true, zero: true }),
      delayMs: positive("--retry-delay", flags.retryDelay, { zero: true }) * 1000,
      timeoutMs: 300_000,
      log: (line) => process.stderr.write(line + "\n"),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    };
    const pollMs = positive("--poll-interval", flags.pollInterval) * 1000;
    const waitMs = positive("--wait-timeout", flags.waitTimeout) * 1000;

    // Every file names its own day, and no two the same: a later upload of a day replaces the earlier.
    const plan = files.map((path) => {
      const ds = flags.ds ?? dsFromPath(path);
      if (!ds) throw new UserError(`${path}: no day for this file: pass --ds YYYY-MM-DD, or keep it under a ds=YYYY-MM-DD folder.`);
      let size: number;
      try {
        const st = statSync(path);
        if (!st.isFile()) throw new Error("not a file");
        size = st.size;
      } catch {
        throw new UserError(`${path}: cannot read the file (does it exist?).`);
      }
      return { path, ds, size };
    });
    for (let i = 1; i < plan.length; i++) {
      const same = plan.slice(0, i).find((p) => p.ds === plan[i].ds);
      if (same)
        throw new UserError(`${plan[i].path} and ${same.path} are both ds=${plan[i].ds}: each upload replaces the day whole, so send one file per day (concatenate the parts first).`);
    }

    const prefix = root.pathname.replace(/\/+$/, "");
    const jobs: JobAnswer[] = [];
    let worst = 0;
    for (const file of plan) {
      const target = new URL(root);
      target.pathname = `${prefix}/api/guardrail/exports`;
      target.search = new URLSearchParams({ dataset: flags.dataset, ds: file.ds, kind: flags.kind, ...(flags.allowPartial ? { allow_partial: "true" } : {}) }).toString();
      const where = `${target.origin}${target.pathname}`;
      const reply = await withRetries(`uploading ${basename(file.path)} to ${where}`, policy, () => send(target, "POST", token, policy.timeoutMs, file));
      if (reply.status === 401) throw new UserError(`the service at ${where} refused the token (HTTP 401): pass the ingest token with --token or $GUARDRAIL_INGEST_TOKEN.`);
      if (reply.status !== 202) throw new UserError(`${file.path}: the service at ${where} answered HTTP ${reply.status}${errorOf(reply)}`);
      let job = parseJson<JobAnswer>(reply, where);
      policy.log(`guardrail upload: ${file.path} (${file.size} bytes) queued as job ${job.id} (${flags.dataset} ${file.ds}, ${flags.kind})`);
      if (flags.wait) {
        const jobUrl = new URL(root);
        jobUrl.pathname = `${prefix}/api/guardrail/jobs/${encodeURIComponent(job.id)}`;
        const deadline = Date.now() + waitMs;
        while (!FINAL.has(job.state)) {
          if (Date.now() + pollMs > deadline)
            throw new UserError(`job ${job.id} (${file.path}) is still ${job.state} after ${waitMs / 1000} s; look again with GET ${jobUrl.pathname}.`);
          await policy.sleep(pollMs);
          const r = await withRetries(`reading job ${job.id}`, policy, () => send(jobUrl, "GET", token, policy.timeoutMs));
          if (r.status !== 200) throw new UserError(`reading job ${job.id}: the service answered HTTP ${r.status}${errorOf(r)}`);
          job = parseJson<JobAnswer>(r, jobUrl.origin + jobUrl.pathname);
        }
        policy.log(`guardrail upload: job ${job.id} ${job.state}${typeof job.error === "string" ? `: ${job.error}` : ""}`);
        const code = exitCodeForJob(job.state);
        // failed (1) outranks rejected (3): a job that could not run says more than an audit that said no.
        if (code === 1 || (code === 3 && worst === 0)) worst = code;
      }
      jobs.push(job);
    }
    if (flags.json) process.stdout.write(toJson(jobs.length === 1 ? jobs[0] : { jobs }) + "\n");
    else for (const j of jobs) process.stdout.write(`${j.id}  ${j.state}  ${String(j.dataset ?? flags.dataset)} ${String(j.ds ?? "")}\n`);
    setExit(worst);
  });
};

/** `--dataset` only: the service resolves the dataset's settings itself, so --config would be ignored. */
function addDatasetOptionsWithoutConfig(cmd: Command): Command {
  return cmd.option("--dataset <name>", "dataset name", "default");
}
