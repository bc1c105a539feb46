export {
  type CliArgs,
  type Command,
  type DoctorArgs,
  helpText,
  type PublishArgs,
  type PypiCheckArgs,
  parseCliArgs,
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
export { cleanPublishEnv, findTokenSources, isTokenVariable, type TokenSource } from "./tokens.js";
