// The public API of @polyglot-changesets/core, named one by one: helpers of a module stay internal.

export { preStateNeedsMigration, readChangesetFolder, readChangesetsConfig } from "./changesets-config.js";
export {
  annotate,
  appendSummary,
  type CiInfo,
  type CiProvider,
  CommandSafeStream,
  DOTENV_OUTPUT,
  detectCi,
  dotenvName,
  mask,
  parseDotenvFile,
  parseOutputFile,
  setDotenvOutput,
  setOutput,
  writeCommand,
} from "./ci.js";
export {
  CRATES_IO_API,
  CRATES_IO_INDEX,
  type CratesConfig,
  POLYGLOT_CONFIG_FILE,
  type PolyglotConfig,
  readPolyglotConfig,
  type TargetConfig,
} from "./config.js";
export type {
  DiscoveryContext,
  DiscoveryFolder,
  EcosystemAdapter,
  EcosystemRegistry,
  PlanContext,
  RegistryAnswer,
  RegistryHttp,
  VersionQuery,
  VersionState,
} from "./ecosystems/adapter.js";
export { adapterFor, ecosystemAdapters } from "./ecosystems/adapters.js";
export { updateCargoLock, updateCargoToml } from "./ecosystems/cargo/edit.js";
export {
  type CargoPublishFlag,
  cargoPublishArgs,
  crateLayers,
  isAlreadyPublishedMessage,
  isPublishableTo,
} from "./ecosystems/cargo/publish.js";
export {
  type CrateVersions,
  crateVersionsInIndex,
  type IndexHttp,
  isMissingCrateStatus,
  parseSparseIndexFile,
  sparseIndexBase,
  sparseIndexPath,
  sparseIndexUrl,
} from "./ecosystems/cargo/sparse-index.js";
export { updatePyproject, updatePyprojectVersion } from "./ecosystems/pypi/pyproject.js";
export { updatePythonDependencies } from "./ecosystems/pypi/python-deps.js";
export { updateSetupCfg } from "./ecosystems/pypi/setup-cfg.js";
export { updateSetupPy } from "./ecosystems/pypi/setup-py.js";
export {
  type Distribution,
  type DistributionGroup,
  filesOnIndex,
  groupByRelease,
  isDistributionName,
  type PypiIndexUrls,
  parseDistribution,
  pypiIndexUrls,
  type UploadRefusal,
  uploadRefusal,
} from "./ecosystems/pypi/upload.js";
export { updateUvLock } from "./ecosystems/pypi/uv-lock.js";
export { updatePlainVersionFile, updateVersionFile } from "./ecosystems/pypi/version-file.js";
export { mirrorChangelogSection } from "./edit/changelog.js";
export { parseTomlDocument, tomlValueAt } from "./edit/toml.js";
export type { EditOptions, EditResult, FieldEdit } from "./edit/types.js";
export { type ErrorCode, errorCodes } from "./error-codes.js";
export {
  type CliStreams,
  type ErrorDetails,
  ExitError,
  formatProblem,
  type Io,
  PolyglotError,
  type Problem,
  type ProblemLocation,
  runCli,
  writeError,
} from "./errors.js";
export { describeUntrusted, isValidName, requireSemver, requireValidName } from "./names.js";
export { normalizePythonName, type Pep440Map, samePep440, toPep440 } from "./pep440.js";
export {
  type ApplyOptions,
  applyWrites,
  type PlannedWrite,
  repoWriteFs,
  type WriteFs,
} from "./plan/apply.js";
export { type PlannedEdit, type PlannedFile, type SyncPlan, targetLabel } from "./plan/draft.js";
export { recoverInterruptedSync } from "./plan/journal.js";
export { planSync } from "./plan/sync.js";
export { type PathOrigin, RepoFiles } from "./repo-files.js";
export { toRelative } from "./repo-paths.js";
export {
  findPackages,
  type LoadWorkspaceOptions,
  loadWorkspace,
  type NpmPackage,
  type Target,
  type Workspace,
  type WorkspaceTool,
} from "./workspace.js";
export { checkChangelogInputs, planChangelogs } from "./workspace-changelog.js";
export { FileCache } from "./workspace-files.js";
export { closestNames, editDistance } from "./workspace-names.js";
export {
  findStrayBridgeFolders,
  formatStrayBridgeFolder,
  type StrayBridgeFolder,
} from "./workspace-stray.js";
