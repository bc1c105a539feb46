export * from "./changesets-config.js";
export * from "./ci.js";
export * from "./config.js";
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
export * from "./edit/index.js";
export * from "./error-codes.js";
export * from "./errors.js";
export * from "./names.js";
export * from "./pep440.js";
export * from "./pep440-order.js";
export * from "./repo-files.js";
export * from "./version-text.js";
export * from "./workspace.js";
export * from "./workspace-changelog.js";
export * from "./workspace-files.js";
export { closestNames, editDistance } from "./workspace-names.js";
export * from "./workspace-plan.js";
export * from "./workspace-stray.js";
