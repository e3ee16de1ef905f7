/**
 * Runs the Producer on a worker thread (parsing on one core, SQLite writes on
 * the other) when the compiled worker script exists, i.e. in the built
 * package. Under a TypeScript test runner there is no worker.js to load, so
 * the same Producer runs on this thread with the same asynchronous messages;
 * GUARDRAIL_INGEST_THREADS=0 forces that mode.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Producer } from "./producer.js";
import type { ProducerInit, ToProducer, ToWriter, WorkerInit } from "./messages.js";
import { startChunked } from "./chunked.js";

export interface ProducerHandle {
  post(msg: ToProducer): void;
  stop(): void;
  threaded: boolean;
  /** The files' SHA-256 when the producer reads them on this thread anyway. */
  checksum?: Promise<string>;
}

export function startProducer(init: ProducerInit, onMessage: (msg: ToWriter) => void): ProducerHandle {
  const script = new URL("./worker.js", import.meta.url);
  const compiled = import.meta.url.endsWith(".js") && existsSync(fileURLToPath(script));
  if (compiled && process.env.GUARDRAIL_INGEST_THREADS !== "0")
    return startChunked(script, init, onMessage) ?? threaded(script, init, onMessage);
  let stopped = false;
  const producer = new Producer(init, (msg) => setImmediate(() => !stopped && onMessage(msg)));
  void producer.run();
  return {
    post: (msg) => setImmediate(() => !stopped && producer.onMessage(msg)),
    stop: () => {
      stopped = true;
    },
    threaded: false,
  };
}

function threaded(script: URL, init: ProducerInit, onMessage: (msg: ToWriter) => void): ProducerHandle {
  let stopped = false;
  const data: WorkerInit = { mode: "file", init };
  const worker = new Worker(script, { workerData: data });
  worker.on("message", (msg: ToWriter) => !stopped && onMessage(msg));
  worker.on("error", (err) => !stopped && onMessage({ type: "crash", message: err.message, stack: err.stack }));
  worker.on("exit", (code) => !stopped && onMessage({ type: "crash", message: `the ingest worker stopped (exit ${code}) before finishing` }));
  return {
    post: (msg) => worker.postMessage(msg),
    stop: () => {
      stopped = true;
      void worker.terminate();
    },
    threaded: true,
  };
}
