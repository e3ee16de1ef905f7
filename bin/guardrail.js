#!/usr/bin/env node
// Thin launcher: the CLI is compiled to lib/ by `npm run build`.
import { main } from "../lib/cli/index.js";
import { exitWithParent } from "../lib/cli/parent-watch.js";

// Started by the service (with an IPC channel): die with it, never publish as an orphan.
exitWithParent();
main(process.argv).then((code) => {
  process.exitCode = code;
});
