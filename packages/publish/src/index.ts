export {
  type CliArgs,
  type Command,
  type DoctorArgs,
  type GuardArgs,
  helpText,
  type PublishArgs,
  type PypiCheckArgs,
  parseCliArgs,
  type RollbackArgs,
  USAGE,
} from "./args.js";
export {
  type ChangesetsPlanEntry,
  type GitTagEvent,
  readEvents,
  runChangesetPublish,
  toChangesetsPlan,
} from "./changeset.js";
export { dispatchPypiWorkflow, dispatchRequest } from "./dispatch.js";
export type { ArtifactUrl } from "./guards/after-publish.js";
export { cleanTreeFindings } from "./guards/clean-tree.js";
export { type Gate, preflightGates } from "./guards/gates.js";
export { reproducibleFindings } from "./guards/reproducible.js";
export { runSmoke, type SmokeResult } from "./guards/smoke.js";
export { type Verification, verifyPublished } from "./guards/verify.js";
export { escapePackageName, fetchPackageVersions, fetchPypiVersion, mapConcurrent } from "./lookup.js";
export { main } from "./main.js";
export { bundledNpm, MIN_OIDC_NPM, supportsOidc } from "./npm-cli.js";
export { NpmConfig, parseNpmrc, readNpmrcFiles } from "./npmrc.js";
export { checkExchange, fetchIdToken } from "./oidc.js";
export {
  createPublishPlan,
  type NpmRelease,
  type PublishPlan,
  type PypiRelease,
  planWorkspace,
  type TagRelease,
} from "./plan.js";
export {
  chooseNpm,
  type Finding,
  type OidcMode,
  type Preflight,
  repositoryOf,
  runPreflight,
} from "./preflight.js";
export { doctorCommand, publishCommand, publishEnv } from "./publish.js";
export { pypiCheckCommand } from "./pypi-check.js";
export {
  buildReport,
  type PublishReport,
  type ReportRecord,
  summaryMarkdown,
  writeOutputs,
} from "./report.js";
export { rollbackCommand } from "./rollback/command.js";
export { planRollback, type RollbackPlan, type RollbackStep } from "./rollback/plan.js";
export { MIN_STAGE_NPM, type StagedRelease, stageTarballs } from "./stage.js";
export { cleanPublishEnv, findTokenSources, isTokenVariable, type TokenSource } from "./tokens.js";
