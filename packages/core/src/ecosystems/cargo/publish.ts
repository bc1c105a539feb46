// The publish side of the cargo registry, as data: which crates go, in which order, with which cargo command, and
// how cargo says a version is already there. polyglot-publish runs it (process, credentials, waits).
import { PolyglotError } from "../../errors.js";

/** `[package].publish` as `cargo metadata` reports it: null (anywhere) or the registries allowed ([] = false). */
export function isPublishableTo(publish: readonly string[] | null, registryName: string): boolean {
  return publish === null || publish.includes(registryName);
}

/**
 * Publish layers: every crate comes after the crates it `needs` (its normal and build dependencies among the
 * crates being published; dev-dependencies do not order), and each layer holds what can go once the earlier
 * layers are visible in the index. Names keep the input order within a layer. A cycle is an error.
 */
export function crateLayers(crates: ReadonlyArray<{ name: string; needs: readonly string[] }>): string[][] {
  const waiting = new Map(crates.map((crate) => [crate.name, new Set(crate.needs)]));
  const layers: string[][] = [];
  while (waiting.size > 0) {
    const ready = [...waiting].filter(([, needs]) => needs.size === 0).map(([name]) => name);
    if (ready.length === 0) {
      throw new PolyglotError(
        `the crates ${[...waiting.keys()].join(", ")} depend on each other in a cycle`,
        {
          code: "crates-dependency-cycle",
          setting: "[dependencies]",
          fix: "break the cycle: cargo cannot publish crates that need each other (dev-dependencies may)",
        },
      );
    }
    for (const name of ready) waiting.delete(name);
    for (const needs of waiting.values()) for (const name of ready) needs.delete(name);
    layers.push(ready);
  }
  return layers;
}

/** cargo's own flags a user may ask for; nothing else reaches the command line. */
export type CargoPublishFlag = "--no-verify" | "--allow-dirty";

/** `cargo publish -p <crate> --registry <name> [flags]`: the registry always named (a `registry.default` cannot redirect it). */
export function cargoPublishArgs(
  crate: string,
  registryName: string,
  flags: readonly CargoPublishFlag[],
): string[] {
  return ["publish", "-p", crate, "--registry", registryName, ...flags];
}

/**
 * cargo's "the version is there already": its own check against the index (`crate x@1.0.0 already exists on
 * crates.io index`) or the registry's answer (`crate x@1.0.0 already exists`, older crates.io: `crate version
 * `1.0.0` is already uploaded`). A skip, once the index confirms it.
 */
export function isAlreadyPublishedMessage(output: string): boolean {
  return /already exists|is already uploaded/i.test(output);
}
