// Test helper: testkit's temp git repos, with the real changesets CLI linked in and byte-exact snapshots.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { CHANGESETS_CLI, createTempRepo, writeFileTree } from "@polyglot-changesets/testkit";
import { execa } from "execa";

export { CHANGESETS_CLI };

export type FileTree = Record<string, string>;

const MONOREPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
export const VERSION_CLI = path.join(MONOREPO, "packages/version/dist/cli.js");

export interface TempRepo {
  dir: string;
  read(file: string): Promise<string>;
  write(files: FileTree): Promise<void>;
  git(...args: string[]): Promise<string>;
  /** `changeset <args>` with the real CLI. */
  changeset(...args: string[]): Promise<{ exitCode: number; output: string }>;
  /** sha256 of every file outside .git and node_modules. */
  hashes(): Promise<Record<string, string>>;
  /** `git status --porcelain` paths (untracked files listed one by one). */
  changedFiles(): Promise<string[]>;
  remove(): Promise<void>;
}

export const writeTree: (dir: string, files: FileTree) => Promise<void> = writeFileTree;

/** git init + first commit of `files`, with node_modules/@changesets/cli linked to the real CLI. */
export async function createRepo(files: FileTree): Promise<TempRepo> {
  const repo = await createTempRepo(files, {
    prefix: "polyglot-version-",
    link: { "@changesets/cli": CHANGESETS_CLI },
  });
  const dir = repo.dir;
  return {
    dir,
    read: repo.read,
    write: repo.write,
    git: repo.git,
    changeset: async (...args) => {
      const result = await execa(process.execPath, [path.join(CHANGESETS_CLI, "bin.js"), ...args], {
        cwd: dir,
        reject: false,
        all: true,
      });
      return { exitCode: result.exitCode ?? 1, output: result.all ?? "" };
    },
    hashes: () => hashTree(dir),
    changedFiles: async () =>
      // Not repo.git: it trims stdout, and with it the leading space of the first status line.
      (await execa("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: dir })).stdout
        .split("\n")
        .filter(Boolean)
        .map((line) => line.slice(3))
        .sort(),
    remove: repo.cleanup,
  };
}

async function hashTree(dir: string, base = dir, out: Record<string, string> = {}): Promise<Record<string, string>> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === ".git" || entry.name === "node_modules") continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await hashTree(full, base, out);
    else out[path.relative(base, full)] = createHash("sha256").update(await readFile(full)).digest("hex");
  }
  return out;
}

/** A writable that keeps what was written. */
export function collector(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

export const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export const CHANGESET_CONFIG = json({
  changelog: "@changesets/cli/changelog",
  commit: false,
  fixed: [],
  linked: [],
  access: "public",
  baseBranch: "main",
  updateInternalDependencies: "patch",
  ignore: [],
  privatePackages: { version: true, tag: true },
});

export const NPM_LOCK = json({ name: "root", lockfileVersion: 3, requires: true, packages: {} });

export function changesetFile(releases: Record<string, "major" | "minor" | "patch">, summary: string): string {
  const front = Object.entries(releases)
    .map(([name, type]) => `"${name}": ${type}`)
    .join("\n");
  return `---\n${front}\n---\n\n${summary}\n`;
}
