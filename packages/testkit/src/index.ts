export * from "./faults.js";
export * from "./github.js";
export * from "./http.js";
export * from "./id-token.js";
export * from "./pypi.js";
export * from "./registry.js";
export * from "./repo.js";
export * from "./tools.js";
