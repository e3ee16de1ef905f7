/**
 * Runs a Node script (bin/guardrail.js) in this process and reports its peak
 * RSS on exit, for machines without GNU time: `node rss-wrapper.js SCRIPT ARGS…`.
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const [node, , script, ...rest] = process.argv;
process.argv = [node, resolve(script), ...rest];
process.on("exit", () => {
  // resourceUsage().maxRSS is in kilobytes, like GNU time's "Maximum resident set size".
  process.stderr.write(`\nMaximum resident set size (kbytes): ${process.resourceUsage().maxRSS}\n`);
});
await import(pathToFileURL(resolve(script)).href);
