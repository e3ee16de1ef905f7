#!/usr/bin/env node
// Thin launcher: the CLI is compiled to lib/ by `npm run build`.
import { main } from "../lib/cli/index.js";

main(process.argv).then((code) => {
  process.exitCode = code;
});
