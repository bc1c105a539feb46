import type { ModCompWithPackage } from "@changesets/types";

/**
 * The registry name of the bridged manifest beside a private package.json (a Python package, a crate), asked of
 * each ecosystem adapter. Read through core's repo-confined layer, with the package folder as the boundary: a
 * manifest that is a symlink leading out of it, a FIFO, a device or a huge file is not read (the npm spelling is
 * used instead).
 */
async function bridgedName(dir: string): Promise<{ name: string; registry: string } | undefined> {
  // Loaded on first use: most changelogs list no bridge package, and core is most of this module's weight.
  const { ecosystemAdapters, RepoFiles } = await import("@polyglot-changesets/core");
  for (const { registry } of ecosystemAdapters) {
    try {
      const repo = new RepoFiles(dir);
      const name = registry.nameInFolder(dir, (file) => repo.read(file));
      if (name) return { name, registry: registry.displayName };
    } catch {
      // An unreadable or invalid manifest: the next ecosystem, or the npm spelling.
    }
  }
  return undefined;
}

/**
 * `name@version`, as changelog-github lists an updated dependency. A bridge package (private package.json beside a
 * pyproject.toml or Cargo.toml) is listed by the name its readers know: `event-forge-inbox-outbox 1.2.0 (PyPI)`.
 */
export async function describeDependency(dependency: ModCompWithPackage): Promise<string> {
  const npmSpelling = `${dependency.name}@${dependency.newVersion}`;
  if (!(dependency.packageJson as { private?: unknown }).private) return npmSpelling;
  const bridged = await bridgedName(dependency.dir);
  return bridged ? `${bridged.name} ${dependency.newVersion} (${bridged.registry})` : npmSpelling;
}
