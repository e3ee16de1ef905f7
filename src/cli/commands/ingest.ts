import type { RegisterCommand } from "./types.js";

// TODO(owner): `guardrail ingest` — see DESIGN §11.
export const ingest: RegisterCommand = () => {};
