/**
 * `POST /api/guardrail/exports?dataset=NAME&ds=D[&kind=raw|agg]` (docs/service.md):
 * the warehouse job's upload. `kind=agg` is a warehouse-built aggregate
 * export, loaded with `guardrail ingest-agg` instead of `ingest`. The body (NDJSON or CSV, gzip or not: the ingest detects it)
 * is streamed to a file under the data folder, never held in memory, counted
 * as it arrives, and only becomes a job once it arrived whole. Anything else
 * (too big, client gone, idle too long) removes the partial file.
 */
import { createWriteStream, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppDeps } from "../app/deps.js";
import { authorize } from "./auth.js";
import { matchRoute, readQuery, sendJson } from "./respond.js";
import { dayClock, isValidDs, DS_BOUNDS } from "../shared/dates.js";
import { resolveDataset } from "../config/load.js";
import { insertJob, newJobId, type UploadKind } from "../store/jobs.js";
import type { Service } from "../jobs/service.js";

export const DATASET_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Counts bytes as they stream. Past the limit it stops writing and calls
 * `onExceed` once, which answers 413 before the connection is closed.
 */
class ByteLimit extends Transform {
  bytes = 0;
  constructor(
    private readonly max: number,
    private readonly onExceed: () => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const before = this.bytes;
    this.bytes += chunk.length;
    if (this.bytes <= this.max) return done(null, chunk);
    if (before <= this.max) this.onExceed();
    done();
  }
}

/**
 * Answers and closes the connection: the client may still be sending a body
 * we will not read, and keeping the socket would mean reading it all.
 */
export function refuse(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent || res.destroyed) return;
  res.setHeader("connection", "close");
  sendJson(res, status, { error: message });
}

/** Checks the query; one sentence per problem. */
export function uploadTarget(query: Record<string, string>): { dataset: string; ds: string; kind: UploadKind; allowPartial: boolean } | string {
  const dataset = query.dataset ?? "default";
  if (!DATASET_RE.test(dataset)) return `Query parameter dataset: expected letters, digits, - and _ (at most 64 characters), got "${dataset.slice(0, 80)}".`;
  const ds = query.ds;
  if (!ds) return "Query parameter ds: expected the partition date as YYYY-MM-DD, got nothing.";
  if (!isValidDs(ds)) return `Query parameter ds: expected a date as YYYY-MM-DD ${DS_BOUNDS}, got "${ds.slice(0, 80)}".`;
  const kind = query.kind ?? "raw";
  if (kind !== "raw" && kind !== "agg")
    return `Query parameter kind: expected raw (the day's events) or agg (a warehouse-built agg_website_events export), got "${kind.slice(0, 80)}".`;
  const partial = query.allow_partial ?? "false";
  if (partial !== "true" && partial !== "false")
    return `Query parameter allow_partial: expected true or false, got "${partial.slice(0, 80)}".`;
  return { dataset, ds, kind, allowPartial: partial === "true" };
}

export async function handleExports(req: IncomingMessage, res: ServerResponse, deps: AppDeps, service: Service): Promise<boolean> {
  if (!matchRoute(req, "POST", "/api/guardrail/exports")) return false;
  if (!authorize(req, deps, "ingest")) {
    refuse(res, 401, "Send the ingest token as Authorization: Bearer <GUARDRAIL_INGEST_TOKEN>.");
    return true;
  }
  const target = uploadTarget(readQuery(req));
  if (typeof target === "string") {
    refuse(res, 400, target);
    return true;
  }
  // A day that has not ended in the dataset's zone cannot be complete (docs/ingest.md, "Completeness").
  const timezone = resolveDataset(deps.config, target.dataset).timezone;
  const end = dayClock(target.ds, timezone).end;
  if (!target.allowPartial && Date.now() < end) {
    refuse(
      res,
      400,
      `Query parameter ds: ${target.ds} has not ended yet in ${timezone} (it ends at ${new Date(end).toISOString().slice(0, 16)}Z); upload it once the day is over, or add allow_partial=true to publish it marked partial.`,
    );
    return true;
  }
  // `curl -F file=@x` wraps the file in a form: the ingest would see MIME boundaries as rows.
  if (/^\s*multipart\//i.test(req.headers["content-type"] ?? "")) {
    refuse(res, 415, "The body is a multipart form: send the export file itself as the body (curl --data-binary @FILE), not as a form field (curl -F).");
    return true;
  }
  const max = service.opts.maxUploadBytes;
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > max) {
    refuse(res, 413, `The upload (${declared} bytes) is larger than the limit of ${max} bytes (GUARDRAIL_MAX_UPLOAD_BYTES).`);
    return true;
  }

  const id = newJobId();
  const partial = join(service.uploadDir, `${id}.part`);
  // The kind travels in the file name, so a retried job (even after a restart) runs the same command.
  const final = join(service.uploadDir, `${id}.upload`);
  let stopped: UploadError | null = null;
  // Answer first, then close: the client gets a clear status instead of a reset connection.
  const stop = (err: UploadError) => {
    if (stopped) return;
    stopped = err;
    if (res.headersSent || res.destroyed) req.destroy(err);
    else {
      res.once("finish", () => req.destroy(err));
      refuse(res, err.status, err.message);
    }
  };
  const limit = new ByteLimit(max, () => stop(new UploadError(413, `The upload is larger than the limit of ${max} bytes (GUARDRAIL_MAX_UPLOAD_BYTES).`)));
  // A client that stops sending (slow-loris, a stuck warehouse job) must not hold a socket and a file forever.
  req.setTimeout(service.opts.uploadIdleMs, () =>
    stop(new UploadError(408, `No data arrived for ${Math.round(service.opts.uploadIdleMs / 1000)} s; the upload was cut off.`)),
  );
  try {
    await pipeline(req, limit, createWriteStream(partial, { flags: "wx", mode: 0o600 }));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // A failed disk write is the server's problem (its message names server paths: log it, answer the code only).
    if (e?.syscall) {
      service.log.error(`guardrail upload ${target.dataset} ${target.ds}: storing the body failed: ${e.message}`);
      stopped ??= new UploadError(507, `The upload could not be stored on the server (${e.code ?? "write error"}); nothing was queued. Try again later.`);
    } else stopped ??= new UploadError(400, `The upload was interrupted before the body arrived whole (${e?.code ?? (err instanceof Error ? err.message : String(err))}); nothing was queued.`);
  } finally {
    req.socket?.setTimeout(0);
  }
  if (stopped) {
    rmSync(partial, { force: true });
    refuse(res, stopped.status, stopped.message);
    service.log.warn(`guardrail upload ${target.dataset} ${target.ds}: not queued: ${stopped.message} (partial file removed)`);
    return true;
  }
  if (limit.bytes === 0) {
    rmSync(partial, { force: true });
    refuse(res, 400, "The request body is empty; send the export file (NDJSON or CSV, gzip allowed).");
    return true;
  }
  renameSync(partial, final);
  insertJob(deps.db, { id, dataset: target.dataset, ds: target.ds, kind: target.kind, file_path: final, bytes: limit.bytes, allow_partial: target.allowPartial });
  service.queue.kick();
  service.log.info(`guardrail upload ${target.dataset} ${target.ds} (${target.kind}): ${limit.bytes} bytes queued as job ${id}`);
  sendJson(res, 202, { id, state: "queued", dataset: target.dataset, ds: target.ds, kind: target.kind, bytes: limit.bytes, url: `/api/guardrail/jobs/${id}` });
  return true;
}
