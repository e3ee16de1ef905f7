/**
 * The one logger shape. Probot's pino logger fits through `fromPino`
 * (src/app/log.ts); the CLI and the service pass plain functions. `context`
 * carries structured fields (repo, sha, status) for loggers that keep them.
 */
export interface Log {
  info(msg: string, context?: Record<string, unknown>): void;
  warn(msg: string, context?: Record<string, unknown>): void;
  error(msg: string, context?: Record<string, unknown>): void;
}

/** Writes one line per message to stderr (the CLI, and callers given no logger). */
const line = (msg: string, context?: Record<string, unknown>) => process.stderr.write(`${msg}${context ? ` ${JSON.stringify(context)}` : ""}\n`);
export const stderrLog: Log = { info: line, warn: line, error: line };

export const silentLog: Log = { info() {}, warn() {}, error() {} };
