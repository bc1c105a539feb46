import type { EcosystemAdapter } from "./adapter.js";
import { cargoAdapter } from "./cargo/index.js";
import { pypiAdapter } from "./pypi/index.js";

/** Every ecosystem the suite syncs, in planning order: one line per ecosystem. */
export const ecosystemAdapters: readonly EcosystemAdapter[] = [pypiAdapter, cargoAdapter];

/** The adapter owning `ecosystem` (a Target's `ecosystem`). */
export function adapterFor(ecosystem: string): EcosystemAdapter {
  const adapter = ecosystemAdapters.find((candidate) => candidate.ecosystem === ecosystem);
  if (!adapter) throw new Error(`internal: no adapter for the ecosystem ${ecosystem}`);
  return adapter;
}
