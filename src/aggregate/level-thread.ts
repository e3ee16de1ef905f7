/**
 * Counting the levels is the part of the aggregate that runs after the
 * stream, when the parse workers have stopped and one core would sit idle:
 * a second thread counts half of the levels over the same sorted events
 * (SharedArrayBuffer, nothing copied). Only in the compiled package, where
 * the worker script exists; under a TypeScript test runner the aggregator
 * counts every level itself.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { LevelCounts, LevelJob, SortedEvents } from "./level-count.js";

export type LevelOffload = (jobs: LevelJob[], data: SortedEvents) => Promise<LevelCounts[]>;

export function levelThread(): LevelOffload | null {
  const script = new URL("./level-worker.js", import.meta.url);
  if (!import.meta.url.endsWith(".js") || !existsSync(fileURLToPath(script))) return null;
  return (jobs, data) =>
    new Promise<LevelCounts[]>((resolve, reject) => {
      const worker = new Worker(script);
      worker.once("message", (counts: LevelCounts[]) => {
        resolve(counts);
        void worker.terminate();
      });
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the aggregation worker stopped (exit ${code}) before finishing`)));
      worker.postMessage({ jobs, data });
    });
}
