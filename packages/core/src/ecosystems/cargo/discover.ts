import path from "node:path";
import { PolyglotError } from "../../errors.js";
import { requireValidName } from "../../names.js";
import type { Target } from "../../workspace.js";
import type { DiscoveryContext, DiscoveryFolder } from "../adapter.js";
import { baseTarget, folderOrigin, requireContent } from "../manifest.js";
import { CARGO_TOML, inspectCargoToml } from "./facts.js";

/** The crate of a folder's Cargo.toml, if any. */
export async function discoverCargoTargets(
  folder: DiscoveryFolder,
  context: DiscoveryContext,
): Promise<Target[]> {
  const manifest = path.join(folder.dir, CARGO_TOML);
  const text = await context.files.read(manifest, folderOrigin(folder));
  requireContent(context.root, manifest, text, "crate");
  if (text === undefined) return [];
  const target = cargoTarget(folder, manifest, text, context);
  return target ? [target] : [];
}

/**
 * The cargo target of a Cargo.toml; in a bridge folder, a manifest that declares no crate and no shared
 * version (a virtual workspace root) is not one.
 */
export function cargoTarget(
  folder: DiscoveryFolder,
  manifest: string,
  text: string,
  context: DiscoveryContext,
): Target | undefined {
  const relativeFile = context.relative(manifest);
  const facts = context.files.derive(manifest, "cargo", () => inspectCargoToml(text, relativeFile));
  const declaresNothing =
    facts.name === undefined &&
    facts.version === undefined &&
    !facts.inheritsWorkspaceVersion &&
    facts.workspaceVersion === undefined;
  if (declaresNothing && folder.mode === "bridge") return undefined;
  const name = facts.name ?? (facts.workspaceVersion !== undefined ? path.basename(folder.dir) : undefined);
  if (!name) {
    throw new PolyglotError("Cargo.toml has no [package].name", {
      code: "manifest-no-name",
      file: relativeFile,
      setting: "package.name",
      fix: 'add name = "..." under [package]',
    });
  }
  const setting =
    facts.name === undefined ? "the folder name (the crate has no [package].name)" : "package.name";
  requireValidName("crate", name, { file: relativeFile, setting });
  return { ...baseTarget(context.root, folder, manifest), ecosystem: "cargo", name };
}
