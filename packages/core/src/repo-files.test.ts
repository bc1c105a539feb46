import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { catchError } from "./__fixtures__/catch-error.js";
import { MAX_FILE_BYTES, RepoFiles } from "./repo-files.js";
import { describeNonVersion, isVersionText, shownValue } from "./version-text.js";

const tops: string[] = [];

/** A repo folder and a sibling "outside" folder holding `secret.txt`. */
function layout(): { repo: string; outside: string; files: RepoFiles } {
  const top = realpathSync(mkdtempSync(path.join(tmpdir(), "polyglot-repo-files-")));
  tops.push(top);
  const repo = path.join(top, "repo");
  const outside = path.join(top, "outside");
  mkdirSync(path.join(repo, "pkg"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(outside, "secret.txt"), "SECRET\n");
  writeFileSync(path.join(repo, "pkg/pyproject.toml"), "[project]\n");
  return { repo, outside, files: new RepoFiles(repo) };
}

afterEach(() => {
  for (const top of tops.splice(0)) rmSync(top, { recursive: true, force: true });
});

describe("RepoFiles", () => {
  it("reads a regular file of the repo, and a missing one as undefined", () => {
    const { files } = layout();
    expect(files.read("pkg/pyproject.toml")).toBe("[project]\n");
    expect(files.read("pkg/Cargo.toml")).toBeUndefined();
    expect(files.read("missing/folder/uv.lock")).toBeUndefined();
  });

  it("refuses .. and absolute paths outside the repo, naming the setting that pointed there", () => {
    const { files, outside } = layout();
    const origin = { setting: "targets[0].versionFiles", file: ".changeset/polyglot.json" };
    const error = catchError(() => files.read("../outside/secret.txt", origin));
    expect(error.message).toMatch(
      /^targets\[0\]\.versionFiles points at ".*secret\.txt", which is outside the repo$/,
    );
    expect(error.file).toBe(".changeset/polyglot.json");
    expect(error.setting).toBe("targets[0].versionFiles");
    expect(catchError(() => files.read(path.join(outside, "secret.txt"))).message).toMatch(
      /outside the repo/,
    );
  });

  it("refuses a symlink to a file or through a folder outside the repo, and a dangling one", () => {
    const { repo, outside, files } = layout();
    symlinkSync(path.join(outside, "secret.txt"), path.join(repo, "pkg/link.txt"));
    symlinkSync(outside, path.join(repo, "linked"));
    symlinkSync(path.join(outside, "new.txt"), path.join(repo, "pkg/dangling.txt"));
    expect(catchError(() => files.read("pkg/link.txt")).message).toBe(
      "pkg/link.txt leads outside the repo through a symlink",
    );
    expect(catchError(() => files.read("linked/secret.txt")).message).toMatch(/leads outside the repo/);
    expect(catchError(() => files.write("linked/new.txt", "x")).message).toMatch(/leads outside the repo/);
    expect(catchError(() => files.write("pkg/dangling.txt", "x")).message).toMatch(
      /symlink to a missing file/,
    );
    expect(readFileSync(path.join(outside, "secret.txt"), "utf8")).toBe("SECRET\n");
  });

  it("follows a symlink that stays inside the repo", () => {
    const { repo, files } = layout();
    symlinkSync("pyproject.toml", path.join(repo, "pkg/alias.toml"));
    expect(files.read("pkg/alias.toml")).toBe("[project]\n");
  });

  it("refuses a FIFO, a device and a folder without opening them", () => {
    const { repo, files } = layout();
    execFileSync("mkfifo", [path.join(repo, "uv.lock")]);
    symlinkSync("/dev/zero", path.join(repo, "pkg/uv.lock"));
    expect(catchError(() => files.read("uv.lock")).message).toBe("uv.lock is a FIFO, not a regular file");
    expect(catchError(() => files.read("pkg/uv.lock")).message).toMatch(/leads outside the repo/);
    expect(catchError(() => files.read("pkg")).message).toBe("pkg is a folder, not a regular file");
  });

  it("caps reads at MAX_FILE_BYTES and requires UTF-8", () => {
    const { repo, files } = layout();
    writeFileSync(path.join(repo, "big.lock"), Buffer.alloc(MAX_FILE_BYTES + 1, 0x61));
    writeFileSync(path.join(repo, "latin1.toml"), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    expect(catchError(() => files.read("big.lock")).message).toBe(
      `big.lock is larger than ${MAX_FILE_BYTES} bytes`,
    );
    expect(catchError(() => files.read("latin1.toml")).message).toBe(
      "latin1.toml is not valid UTF-8; it was left as it is",
    );
  });

  it("creates a new file inside the repo, and treats a mode without write bits as read-only", () => {
    const { repo, files } = layout();
    files.write("pkg/CHANGELOG.md", "# new\n");
    expect(readFileSync(path.join(repo, "pkg/CHANGELOG.md"), "utf8")).toBe("# new\n");
    execFileSync("chmod", ["444", path.join(repo, "pkg/pyproject.toml")]);
    expect(catchError(() => files.assertWritable("pkg/pyproject.toml")).message).toBe(
      "cannot write pkg/pyproject.toml (EACCES); nothing was written",
    );
  });
});

describe("version text", () => {
  it("tells versions from anything else, and describes the rest without printing it", () => {
    expect(isVersionText("1.2.3-rc.1")).toBe(true);
    expect(isVersionText("1!2.0.post1")).toBe(true);
    expect(isVersionText("GITHUB_TOKEN=ghs_x")).toBe(false);
    expect(describeNonVersion("a\nb\nc")).toBe("not a version: 3 lines, 5 bytes");
    expect(describeNonVersion("x".repeat(1024))).toBe("not a version: 1 line, 1,024 bytes");
    expect(shownValue("project.version", "HOME=/root")).toBe("(not a version: 1 line, 10 bytes)");
    expect(shownValue("__version__", "1.0.0")).toBe("1.0.0");
    expect(shownValue("project.dependencies[0]", "acme>=1.0")).toBe("acme>=1.0");
    expect(shownValue("project.dependencies[0]", "::stop-commands::x")).toMatch(/^\(not a version/);
  });
});
