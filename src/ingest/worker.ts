/** Worker-thread entry of an ingest: runs the Producer and talks to the writer through the parent port. */
import { parentPort, workerData } from "node:worker_threads";
import { Producer } from "./producer.js";
import type { ProducerInit, ToProducer } from "./messages.js";

const port = parentPort!;
const producer = new Producer(workerData as ProducerInit, (msg, transfer) => port.postMessage(msg, transfer ?? []));
port.on("message", (m: ToProducer) => producer.onMessage(m));
void producer.run();
