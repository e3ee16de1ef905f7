// STUB — owner: service helper. Called from src/index.ts with Probot's addHandler.
import type { ApplicationFunctionOptions, Probot } from "probot";
import type { AppDeps } from "../app/deps.js";

export type AddHandler = ApplicationFunctionOptions["addHandler"];

/** Every HTTP route of DESIGN §9. */
export function registerRoutes(_addHandler: AddHandler, _app: Probot, _deps: AppDeps): void {}
