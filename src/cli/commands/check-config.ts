/**
 * `guardrail check-config [FILE] [--server FILE]` (docs/cli.md, docs/configuration.md): validates a
 * repository's `.github/guardrail.yml` before it is merged, with the sentence the `guardrail` check
 * run would show, and the server's `guardrail.config.yml`. Exit 0 valid, 2 not.
 */
import { existsSync, readFileSync } from "node:fs";
import type { RegisterCommand } from "./types.js";
import { addJsonOption, toJson } from "../common.js";
import { UserError } from "../../shared/errors.js";
import { loadConfig, resolveDataset } from "../../config/load.js";
import { applyRepoOverrides, parseRepoConfigText, REPO_CONFIG_PATH } from "../../config/repo-schema.js";
import type { GuardrailConfig } from "../../config/schema.js";

interface CheckConfigFlags {
  server?: string;
  json?: boolean;
}

const SERVER_DEFAULT = "guardrail.config.yml";

export const checkConfig: RegisterCommand = (program, setExit) => {
  addJsonOption(
    program
      .command("check-config")
      .argument("[file]", `the repository's config (default ${REPO_CONFIG_PATH})`)
      .description("validate .github/guardrail.yml (and with --server the server's guardrail.config.yml) as the guardrail check would (exit 0 valid, 2 not)")
      .option("--server <file>", `the server configuration to validate, and to check the repo file's dataset and metric names against (default ./${SERVER_DEFAULT} if present)`),
  ).action((file: string | undefined, flags: CheckConfigFlags) => {
    const checked: { file: string; kind: "repo" | "server" }[] = [];
    const lines: string[] = [];

    // The server file first: the repo file's metric overrides are checked against its metrics.
    let server: GuardrailConfig | null = null;
    const serverPath = flags.server ?? (existsSync(SERVER_DEFAULT) ? SERVER_DEFAULT : undefined);
    if (serverPath) {
      server = loadConfig(serverPath);
      checked.push({ file: serverPath, kind: "server" });
      lines.push(`${serverPath}: valid server configuration (${server.metrics?.length ?? 0} metrics, datasets: ${["default", ...Object.keys(server.datasets)].join(", ")}).`);
    }

    const repoPath = file ?? (flags.server && !existsSync(REPO_CONFIG_PATH) ? undefined : REPO_CONFIG_PATH);
    if (repoPath) {
      let text: string;
      try {
        text = readFileSync(repoPath, "utf8");
      } catch {
        throw new UserError(`${repoPath}: cannot read the file (run guardrail check-config in the repository's root, or pass the file).`);
      }
      const parsed = parseRepoConfigText(text, repoPath);
      if (!parsed.ok) throw new UserError(parsed.error);
      if (server) {
        const applied = applyRepoOverrides(resolveDataset(server, parsed.config.dataset), parsed.config, repoPath);
        if (!applied.ok) throw new UserError(applied.error);
      }
      checked.push({ file: repoPath, kind: "repo" });
      lines.push(
        `${repoPath}: valid (dataset ${parsed.config.dataset}${Object.keys(parsed.config.metrics).length ? `, overrides for ${Object.keys(parsed.config.metrics).join(", ")}` : ""}).` +
          (server || Object.keys(parsed.config.metrics).length === 0 ? "" : ` Metric names are checked against the server's only with --server.`),
      );
    }
    if (flags.json) process.stdout.write(toJson({ ok: true, checked }) + "\n");
    else process.stdout.write(lines.join("\n") + "\n");
    setExit(0);
  });
};
