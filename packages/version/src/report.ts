import { type PlannedFile, type SyncPlan, targetLabel, type Workspace } from "@polyglot-changesets/core";

/** `[{file, field, from, to}]`, one line per edit. */
export function formatJson(files: readonly PlannedFile[]): string {
  const edits = files.flatMap((file) =>
    file.edits.map(({ file: name, field, from, to }) => ({ file: name, field, from, to })),
  );
  return `${JSON.stringify(edits, null, 2)}\n`;
}

/** One line per changed file: `synced packages/python/pyproject.toml (project.version 1.2.0 -> 1.3.0)`. */
export function formatSummary(files: readonly PlannedFile[], verb: string): string {
  if (files.length === 0) return "polyglot-version: every target is in step with its source\n";
  return files
    .map((file) => {
      const edits = file.edits
        .map((edit) =>
          edit.from === "" ? `added ${edit.field} ${edit.to}` : `${edit.field} ${edit.from} -> ${edit.to}`,
        )
        .join(", ");
      return `polyglot-version: ${verb} ${file.relativeFile}${edits ? ` (${edits})` : ""}\n`;
    })
    .join("");
}

/** The npm versions `changeset version` would write, for a dry run with pending changesets. */
export function formatPendingVersions(workspace: Workspace, versions: ReadonlyMap<string, string>): string {
  const lines = workspace.packages
    .filter((pkg) => versions.has(pkg.name) && versions.get(pkg.name) !== pkg.version)
    .map(
      (pkg) =>
        `polyglot-version: changeset version would bump ${pkg.name} ${pkg.version} -> ${versions.get(pkg.name)}\n`,
    );
  const mirrored = workspace.targets
    .filter((target) => target.changelog && versions.has(target.source))
    .map(
      (target) =>
        `polyglot-version: after changeset version, would mirror ${target.source}'s new CHANGELOG section into ${target.relativeDir}/CHANGELOG.md\n`,
    );
  return lines.join("") + mirrored.join("");
}

/** --check: each target whose files disagree with its source, or that all agree. */
export function formatCheck(workspace: Workspace, plan: SyncPlan): string {
  const outOfStep = new Set(plan.files.flatMap((file) => file.owners));
  if (outOfStep.size === 0) return `polyglot-version: ${inStep(workspace.targets.length)}\n`;
  return workspace.targets
    .filter((target) => outOfStep.has(target))
    .map((target) => {
      const files = plan.files.filter((file) => file.owners.includes(target));
      const edits = files.flatMap((file) =>
        file.edits.map((edit) => `${edit.file} ${edit.field} is ${edit.from}, expected ${edit.to}`),
      );
      return `polyglot-version: ${targetLabel(target)} is out of step with ${target.source}: ${edits.join("; ") || files.map((f) => f.relativeFile).join(", ")}\n`;
    })
    .concat(
      "fix: run polyglot-version --sync-only (or polyglot-version with changesets pending) and commit the result\n",
    )
    .join("");
}

function inStep(count: number): string {
  if (count === 0) {
    return "no targets found: no workspace package has a pyproject.toml, setup.py, setup.cfg or Cargo.toml beside its package.json, and .changeset/polyglot.json lists no targets";
  }
  return count === 1
    ? "the 1 target is in step with its source"
    : `all ${count} targets are in step with their sources`;
}
