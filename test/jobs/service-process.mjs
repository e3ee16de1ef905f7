// A Guardrail service in its own process (compiled lib/), so a test can SIGKILL it:
// the upload routes and the ingest queue on 127.0.0.1, no GitHub App.
// Usage: node service-process.mjs DB_PATH ; prints {"port":N} once listening.
import { createServer } from "node:http";
import { openDb } from "../../lib/store/db.js";
import { parseConfig } from "../../lib/config/load.js";
import { guardrailHandler } from "../../lib/http/routes.js";

const deps = {
  db: openDb(process.argv[2]),
  config: parseConfig({}),
  publicUrl: "http://127.0.0.1",
  linkSecret: "link-secret",
  ingestToken: process.env.GUARDRAIL_INGEST_TOKEN,
  readToken: process.env.GUARDRAIL_READ_TOKEN,
};
const handler = guardrailHandler(null, deps);
const server = createServer((req, res) => {
  handler(req, res).then((handled) => {
    if (!handled) res.writeHead(404).end();
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n"));
