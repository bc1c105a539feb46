import type { PlannedFile } from "@polyglot-changesets/core";
import { createTwoFilesPatch } from "diff";

/** A git-style unified diff (`a/…` / `b/…`, repo-relative) of every planned file; `git apply` takes it. */
export function formatDiff(files: readonly PlannedFile[]): string {
  return files
    .map((file) => {
      const patch = createTwoFilesPatch(
        file.before === undefined ? "/dev/null" : `a/${file.relativeFile}`,
        `b/${file.relativeFile}`,
        file.before ?? "",
        file.after,
        undefined,
        undefined,
        { context: 3 },
      );
      // Drop the "====" banner and the empty tab-separated header fields the library adds.
      return patch
        .split("\n")
        .filter((line) => !/^=+$/.test(line))
        .map((line) => (line.startsWith("--- ") || line.startsWith("+++ ") ? line.replace(/\t$/, "") : line))
        .join("\n");
    })
    .join("");
}
