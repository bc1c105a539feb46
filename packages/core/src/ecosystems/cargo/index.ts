import type { EcosystemAdapter } from "../adapter.js";
import { discoverCargoTargets } from "./discover.js";
import { CARGO_TOML } from "./facts.js";
import { planCargoEdits } from "./plan.js";
import { cargoRegistry } from "./registry.js";

/** Cargo: crates whose `[package].version` (or inherited `[workspace.package].version`) follows an npm package. */
export const cargoAdapter: EcosystemAdapter = {
  ecosystem: "cargo",
  manifestNames: [CARGO_TOML],
  discover: discoverCargoTargets,
  plan: planCargoEdits,
  registry: cargoRegistry,
};
