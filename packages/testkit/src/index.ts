export * from "./faults.js";
export * from "./http.js";
