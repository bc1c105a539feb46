import { join } from "node:path";
import type { ModCompWithPackage } from "@changesets/types";
import { parse } from "smol-toml";

interface BridgedManifest {
  file: string;
  registry: string;
  nameOf(manifest: Record<string, unknown>): unknown;
}

function table(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

// A private package.json beside one of these manifests only gives a Python package or a crate its version.
const BRIDGED_MANIFESTS: BridgedManifest[] = [
  {
    file: "pyproject.toml",
    registry: "PyPI",
    nameOf: (manifest) => table(manifest.project).name ?? table(table(manifest.tool).poetry).name,
  },
  { file: "Cargo.toml", registry: "crates.io", nameOf: (manifest) => table(manifest.package).name },
];

/**
 * Read through core's repo-confined layer, with the package folder as the boundary: a manifest that is a
 * symlink leading out of it, a FIFO, a device or a huge file is not read (the npm spelling is used instead).
 */
async function bridgedName(dir: string, bridge: BridgedManifest): Promise<string | undefined> {
  try {
    // Loaded on first use: most changelogs list no bridge package, and core is most of this module's weight.
    const { RepoFiles } = await import("@polyglot-changesets/core");
    const text = new RepoFiles(dir).read(join(dir, bridge.file));
    if (text === undefined) return undefined;
    const name = bridge.nameOf(parse(text, { integersAsBigInt: "asNeeded" }));
    return typeof name === "string" && name ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `name@version`, as changelog-github lists an updated dependency. A bridge package (private package.json beside a
 * pyproject.toml or Cargo.toml) is listed by the name its readers know: `event-forge-inbox-outbox 1.2.0 (PyPI)`.
 */
export async function describeDependency(dependency: ModCompWithPackage): Promise<string> {
  const npmSpelling = `${dependency.name}@${dependency.newVersion}`;
  if (!(dependency.packageJson as { private?: unknown }).private) return npmSpelling;
  for (const bridge of BRIDGED_MANIFESTS) {
    const name = await bridgedName(dependency.dir, bridge);
    if (name) return `${name} ${dependency.newVersion} (${bridge.registry})`;
  }
  return npmSpelling;
}
