export * from "./faults.js";
export * from "./github.js";
export * from "./http.js";
export * from "./pypi.js";
export * from "./repo.js";
