/** Worker-thread entry: counts the aggregation levels it is sent, over the shared sorted events (see level-thread.ts). */
import { parentPort } from "node:worker_threads";
import { countLevel, type LevelJob, type SortedEvents } from "./level-count.js";

const port = parentPort!;
port.once("message", (m: { jobs: LevelJob[]; data: SortedEvents }) => {
  const slotOf = new Int32Array(m.data.visitors.length);
  const results = m.jobs.map((job) => countLevel(job, m.data, slotOf));
  port.postMessage(
    results,
    results.flatMap((r) => [r.keys.buffer, r.events.buffer, r.visitors.buffer, r.users.buffer, r.visits.buffer] as ArrayBuffer[]),
  );
});
