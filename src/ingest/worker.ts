/** Worker-thread entry of an ingest: runs a Producer (whole file, or chunks) and talks to the writer through the parent port. */
import { parentPort, workerData } from "node:worker_threads";
import { closeSync, openSync } from "node:fs";
import { Producer } from "./producer.js";
import { readRange } from "./chunked.js";
import type { ToProducer, WorkerInit } from "./messages.js";

const port = parentPort!;
const data = workerData as WorkerInit;
const producer = new Producer(data.init, (msg, transfer) => port.postMessage(msg, transfer ?? []));
if (data.mode === "chunks") {
  producer.beginChunks(data.ds, data.slots);
  const file = data.init.files[0];
  const fd = openSync(file, "r");
  const size = data.fileSize;
  // Reused for every chunk: the producer is done with a chunk's bytes when chunk() returns.
  let buffer: Buffer = Buffer.allocUnsafeSlow(0);
  port.on("message", (m: ToProducer) => {
    if (m.type === "free") return producer.onMessage(m);
    if (m.type !== "range") return;
    let bytes: Uint8Array;
    try {
      bytes = readRange(fd, m.start, m.end, size, buffer);
      if (bytes.buffer !== buffer.buffer) buffer = Buffer.from(bytes.buffer as ArrayBuffer);
    } catch (err) {
      port.postMessage({ type: "error", message: `${file}: cannot read the file (${(err as Error).message}).`, exitCode: 2 });
      return;
    }
    producer.chunk(m.chunk, bytes);
  });
  port.once("close", () => closeSync(fd));
} else {
  port.on("message", (m: ToProducer) => producer.onMessage(m));
  void producer.run();
}
