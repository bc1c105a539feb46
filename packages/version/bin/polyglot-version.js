#!/usr/bin/env node
import { statSync } from "node:fs";
import nodeModule from "node:module";
import { requireNode } from "@polyglot-changesets/core/require-node";

requireNode("polyglot-version");
// As the changesets CLI does: V8 caches the compiled code between runs.
nodeModule.enableCompileCache?.();
await import(bundleIsCurrent() ? "../dist/cli.bundle.js" : "../dist/cli.js");

/**
 * dist/cli.bundle.js (scripts/bundle-clis.mjs: one file instead of ~270 modules) unless a tsc build in this
 * repo is newer than it (`tsc -b` without the bundle step); a published package has no .tsbuildinfo.
 */
function bundleIsCurrent() {
  const mtime = (relative) =>
    statSync(new URL(relative, import.meta.url), { throwIfNoEntry: false })?.mtimeMs;
  const bundled = mtime("../dist/cli.bundle.js");
  if (bundled === undefined) return false;
  const built = [mtime("../dist/.tsbuildinfo"), mtime("../../core/dist/.tsbuildinfo")];
  return built.every((time) => time === undefined || time <= bundled);
}
