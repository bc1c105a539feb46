export * from "./ci.js";
export * from "./config.js";
export * from "./errors.js";
export * from "./pep440.js";
export * from "./workspace.js";
export * from "./workspace-changelog.js";
export * from "./workspace-files.js";
export * from "./workspace-plan.js";
