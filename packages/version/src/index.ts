export { applyWrites, type Io, type PlannedWrite, type WriteFs } from "@polyglot-changesets/core";
export { type ChangesetVersionOptions, parseVersionArgs, USAGE, type VersionArgs } from "./args.js";
export { resolveChangesetCommand, runChangesetVersion } from "./changeset-cli.js";
export { type MainOptions, main } from "./main.js";
export { type PredictedRelease, predictRelease } from "./release-plan.js";
export { formatCheck, formatJson, formatPendingVersions, formatSummary } from "./report.js";
export { formatDiff } from "./report-diff.js";
