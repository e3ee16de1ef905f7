import { afterEach, describe, expect, it } from "vitest";
import { stopOnSigterm } from "../../src/index.js";

describe("SIGTERM under `probot run`", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it("stops the background jobs and exits when nothing else handles SIGTERM", () => {
    // Other listeners (none expected in vitest workers) would change the outcome; set them aside.
    const others = process.listeners("SIGTERM");
    for (const l of others) process.removeListener("SIGTERM", l);
    cleanups.push(() => others.forEach((l) => process.on("SIGTERM", l)));
    const events: string[] = [];
    cleanups.push(stopOnSigterm(() => events.push("stop"), (code) => events.push(`exit ${code}`)));
    process.emit("SIGTERM", "SIGTERM");
    expect(events).toEqual(["stop", "exit 0"]);
    expect(process.listenerCount("SIGTERM")).toBe(0);
  });

  it("leaves the exit to another SIGTERM handler (the serve script's graceful close)", () => {
    const others = process.listeners("SIGTERM");
    for (const l of others) process.removeListener("SIGTERM", l);
    cleanups.push(() => others.forEach((l) => process.on("SIGTERM", l)));
    const events: string[] = [];
    cleanups.push(stopOnSigterm(() => events.push("stop"), (code) => events.push(`exit ${code}`)));
    const serveClose = () => events.push("serve closes");
    process.once("SIGTERM", serveClose);
    cleanups.push(() => process.removeListener("SIGTERM", serveClose));
    process.emit("SIGTERM", "SIGTERM");
    expect(events).toEqual(["stop", "serve closes"]);
  });
});
