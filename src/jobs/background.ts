// STUB — owner: service helper. Called from src/index.ts once at start.
import type { Probot } from "probot";
import type { AppDeps } from "../app/deps.js";

/** Recovers jobs left running by a crash, starts the freshness timer. Returns a stop function. */
export function startBackground(_app: Probot, _deps: AppDeps): () => void {
  return () => {};
}
