import path from "node:path";

/** `root`-relative path with `/` separators (`.` for the root itself). */
export function toRelative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join("/") || ".";
}

/** Folders from `dir` up to `root` (inclusive), nearest first. */
export function foldersUpTo(dir: string, root: string): string[] {
  const folders: string[] = [];
  let current = dir;
  while (current.startsWith(root)) {
    folders.push(current);
    if (current === root) break;
    current = path.dirname(current);
  }
  return folders;
}
