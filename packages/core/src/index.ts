export * from "./errors.js";
export * from "./config.js";
export * from "./workspace.js";
export * from "./workspace-files.js";
export * from "./ci.js";
export * from "./pep440.js";
