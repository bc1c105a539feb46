// The public surface of the testkit: the stand-in servers, the temp git repo and the pinned tools. Helpers the
// servers are built from (HTTP plumbing, fault injection, claim derivation) stay internal.
export type { Fault } from "./faults.js";
export {
  type GithubApi,
  type GithubApiOptions,
  type GithubDispatch,
  type GithubPermissionLevel,
  type GithubTokenOptions,
  type GithubWorkflowInput,
  startGithubApi,
} from "./github.js";
export {
  type GitlabClaimOverrides,
  type GitlabClaims,
  type GitlabIdTokenIssuer,
  type GitlabIdTokenOptions,
  type IdTokenRequests,
  startGitlabIdTokenIssuer,
} from "./gitlab-id-token.js";
export type { RecordedRequest } from "./http.js";
export {
  type ClaimOverrides,
  type GithubClaims,
  type IdTokenServer,
  type IdTokenServerOptions,
  startIdTokenServer,
} from "./id-token.js";
export {
  type PypiGithubPublisher,
  type PypiGitlabPublisher,
  type PypiOptions,
  type PypiServer,
  type PypiTrustedPublisher,
  type SeedFile,
  startPypi,
} from "./pypi.js";
export {
  type GithubTrustedPublisher,
  type GitlabTrustedPublisher,
  type OidcIssuer,
  type PackageManifest,
  type Registry,
  type RegistryOptions,
  type StagedVersion,
  startRegistry,
  type TrustedPublisher,
} from "./registry.js";
export {
  CHANGESETS_CLI,
  createTempRepo,
  type FileTree,
  type TempRepo,
  type TempRepoOptions,
  writeFileTree,
} from "./repo.js";
export { ensureTool, linkBundledNpm } from "./tools.js";
