/**
 * The ingest JSON of docs/cli.md promises check statuses pass | warn | fail.
 * Internally a check can also be `skipped` (disabled, or nothing to compare
 * with yet); on the contract it is a non-blocking `pass` flagged
 * `skipped: true`, and its message says why it was not judged.
 */
import type { CheckResult, IngestResult } from "../shared/types.js";

export type ContractCheck = Omit<CheckResult, "status"> & { status: "pass" | "warn" | "fail"; skipped?: true };

export function toContractCheck(c: CheckResult): ContractCheck {
  if (c.status !== "skipped") return c as ContractCheck;
  return { ...c, status: "pass", skipped: true };
}

export function toContractResult<T extends IngestResult>(r: T): Omit<T, "checks"> & { checks: ContractCheck[] } {
  return { ...r, checks: r.checks.map(toContractCheck) };
}
