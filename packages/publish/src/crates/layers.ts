import { PolyglotError } from "@polyglot-changesets/core";

/**
 * Publish layers: every crate comes after the crates it `needs`, and each layer holds what can go once the
 * earlier layers are visible in the index. Names keep the input order within a layer.
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
