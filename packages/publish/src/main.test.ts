import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { main } from "./main.js";

describe("--dotenv FILE", () => {
  it("refuses a symlink before anything runs, naming the flag and the fix", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "polyglot-main-dotenv-"));
    const outside = path.join(dir, "credentials");
    writeFileSync(outside, "SECRET=npm_secretsecretsecret\n");
    const link = path.join(dir, "publish.env");
    symlinkSync(outside, link);
    const chunks: Buffer[] = [];
    const stderr = new PassThrough().on("data", (chunk: Buffer) => chunks.push(chunk));
    const code = await main(
      ["pypi-upload", "--dotenv", link, "--index", "http://127.0.0.1:9", path.join(dir, "dist")],
      { stdout: new PassThrough(), stderr },
      {},
    );
    const said = Buffer.concat(chunks).toString("utf8");
    expect(code).toBe(2);
    expect(said).toMatch(/--dotenv .*publish\.env" is a symlink.*\[--dotenv\]/);
    expect(said).toContain("fix:");
    expect(said).not.toContain("unexpected error");
    expect(readFileSync(outside, "utf8")).toBe("SECRET=npm_secretsecretsecret\n");
  });
});
