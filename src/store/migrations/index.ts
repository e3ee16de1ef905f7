import type { Migration } from "./types.js";
import { core } from "./001-core.js";
import { evaluations } from "./002-evaluations.js";
import { github } from "./003-github.js";
import { gate } from "./004-gate.js";
import { service } from "./005-service.js";
import { alerts } from "./006-alerts.js";
import { rawBlocks } from "./007-raw-blocks.js";
import { prHeads } from "./008-pr-heads.js";
import { ownerStart } from "./009-owner-start.js";
import { canary } from "./010-canary.js";
import { visits } from "./011-visits.js";
import { markedDays } from "./012-marked-days.js";
import { partialDays } from "./013-partial-days.js";

/** In version order. A migration, once shipped, is never edited: add a new one. */
export const MIGRATIONS: Migration[] = [core, evaluations, github, gate, service, alerts, rawBlocks, prHeads, ownerStart, canary, visits, markedDays, partialDays];
