import type { ChangelogFunctions } from "@changesets/types";
import { createChangelogFunctions } from "./generator.js";

export { ChangelogConfigError } from "./errors.js";
export { createChangelogFunctions, type GeneratorSurroundings, type GithubLookups } from "./generator.js";
export type { ChangelogOptions } from "./options.js";
export { TEMPLATE_TOKENS, type TemplateToken } from "./template.js";

const changelogFunctions: ChangelogFunctions = createChangelogFunctions();

/** Changesets calls this for each changeset of each released package. */
export const getReleaseLine: ChangelogFunctions["getReleaseLine"] = changelogFunctions.getReleaseLine;
/** Changesets calls this once per released package, for its updated internal dependencies. */
export const getDependencyReleaseLine: ChangelogFunctions["getDependencyReleaseLine"] =
  changelogFunctions.getDependencyReleaseLine;

// Changesets imports the module and takes `.default` when present, so the default export is what runs.
export default changelogFunctions;
