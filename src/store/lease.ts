/**
 * How a service announces that it holds a database: a lease file
 * `<db>.service` beside it, JSON {pid, started, host, since, heartbeat},
 * written at start, refreshed every minute and removed on a clean stop
 * (docs/operations.md#backups). `guardrail restore` refuses while the
 * holder is alive: the same host and a live pid with the same start time,
 * or, from another host or container (where the pid cannot be checked), a
 * heartbeat younger than three minutes.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { processStart } from "./partitions.js";
import { UserError } from "../shared/errors.js";

export interface Lease {
  pid: number;
  /** Process start time (clock ticks since boot), so a reused pid is not mistaken for the holder. */
  started: string | null;
  host: string;
  since: string;
  heartbeat: string;
}

export const LEASE_HEARTBEAT_MS = 60_000;
const STALE_AFTER_MS = 3 * LEASE_HEARTBEAT_MS;

export function leasePath(dbPath: string): string {
  return `${dbPath}.service`;
}

function readLease(dbPath: string): Lease | null {
  let text: string;
  try {
    text = readFileSync(leasePath(dbPath), "utf8");
  } catch (err) {
    // No lease file: no service holds the database. Any other error (permissions) must not pass for "free".
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new UserError(`${leasePath(dbPath)}: cannot read the service's lease file (${(err as Error).message}); fix it, or remove it once no service runs.`);
  }
  try {
    return JSON.parse(text) as Lease;
  } catch {
    // Not a lease this code wrote (emptied or cut short by a crash of its holder): nobody to wait for.
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The live holder of the database, or null (no lease, or one its process left behind). */
export function leaseHolder(dbPath: string, now = Date.now()): Lease | null {
  const lease = readLease(dbPath);
  if (!lease) return null;
  if (lease.host === hostname()) {
    if (!alive(lease.pid)) return null;
    const started = processStart(lease.pid);
    return lease.started === null || started === null || started === lease.started ? lease : null;
  }
  return now - Date.parse(lease.heartbeat) < STALE_AFTER_MS ? lease : null;
}

export function describeHolder(l: Lease): string {
  return `the Guardrail service (pid ${l.pid} on ${l.host}, since ${l.since})`;
}

/** Takes the lease for this process and keeps it fresh; returns the release function. */
export function holdLease(dbPath: string): () => void {
  const since = new Date().toISOString();
  const write = () => {
    const lease: Lease = { pid: process.pid, started: processStart(process.pid), host: hostname(), since, heartbeat: new Date().toISOString() };
    writeFileSync(leasePath(dbPath), JSON.stringify(lease) + "\n", { mode: 0o644 });
  };
  write();
  const timer = setInterval(write, LEASE_HEARTBEAT_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    const current = readLease(dbPath);
    if (current && current.pid === process.pid && current.host === hostname()) rmSync(leasePath(dbPath), { force: true });
  };
}
