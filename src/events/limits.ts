/**
 * Caps on what one export may expand to (docs/ingest.md#limits). A 10 MB gzip
 * can inflate to 10 GiB and hold the only ingest worker for an hour; a line
 * of an event export is a few hundred bytes, so a megabyte-long one is not an
 * event. Read from the environment, so the service's ingest child (which
 * inherits it) and the CLI apply the same caps.
 */
import { UserError } from "../shared/errors.js";
import { fmtBytes } from "../present/format.js";

/** Largest accepted upload (GUARDRAIL_MAX_UPLOAD_BYTES) when not configured. */
export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3;
export const DEFAULT_MAX_LINE_BYTES = 1024 ** 2;
/** The decompressed cap is this many times the upload limit unless set. */
export const DECOMPRESSED_FACTOR = 20;

export interface InputLimits {
  /** Decoded text of one file at most (GUARDRAIL_MAX_DECOMPRESSED_BYTES). */
  maxDecompressedBytes: number;
  /** One line (NDJSON) or record (CSV) at most (GUARDRAIL_MAX_LINE_BYTES). */
  maxLineBytes: number;
}

function positive(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`${name}: expected a positive number of bytes, got "${raw.slice(0, 40)}".`);
  return Math.floor(n);
}

export function inputLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): InputLimits {
  const upload = positive(env, "GUARDRAIL_MAX_UPLOAD_BYTES") ?? DEFAULT_MAX_UPLOAD_BYTES;
  return {
    maxDecompressedBytes: positive(env, "GUARDRAIL_MAX_DECOMPRESSED_BYTES") ?? DECOMPRESSED_FACTOR * upload,
    maxLineBytes: positive(env, "GUARDRAIL_MAX_LINE_BYTES") ?? DEFAULT_MAX_LINE_BYTES,
  };
}

export function tooLargeError(file: string, limit: number): UserError {
  return new UserError(
    `${file}: decompresses to more than ${fmtBytes(limit)} (GUARDRAIL_MAX_DECOMPRESSED_BYTES, by default ${DECOMPRESSED_FACTOR}× the upload limit); nothing was published. Split the export, or raise the limit if it is real.`,
  );
}

export function lineTooLongError(file: string, line: number, limit: number): UserError {
  return new UserError(
    `${file}: line ${line} is longer than ${fmtBytes(limit)} (GUARDRAIL_MAX_LINE_BYTES) with no line end; an event is one line of a few hundred bytes, so nothing was published.`,
  );
}
