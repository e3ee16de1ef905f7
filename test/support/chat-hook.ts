/** A Slack-compatible incoming webhook for tests: a real HTTP server on 127.0.0.1 that keeps every JSON body it receives. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ChatHook {
  /** The webhook URL (its path looks like a secret Slack one, which must never reach a log). */
  url: string;
  messages: any[];
  close(): Promise<void>;
}

export async function startChatHook(path = "/services/T000/B000/secret-hook"): Promise<ChatHook> {
  const messages: any[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      messages.push(JSON.parse(body));
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    messages,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
