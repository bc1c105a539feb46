import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const dist = path.resolve(import.meta.dirname, "../dist/errors.js");

// runCli against a real pipe: process.stdout to a pipe is asynchronous, so exiting right after the last write
// would cut a long --json at the pipe's buffer (64 KiB).
describe.runIf(existsSync(dist))("runCli", () => {
  it("exits only after everything printed reached the pipe", () => {
    const script = `import(${JSON.stringify(dist)}).then(({ runCli }) => runCli(async (s) => { s.stdout.write("x".repeat(2_000_000) + "\\n"); s.stderr.write("done\\n"); return 3; }, "t"))`;
    const result = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", maxBuffer: 8_000_000 });
    expect(result.status).toBe(3);
    expect(result.stdout.length).toBe(2_000_001);
    expect(result.stderr).toBe("done\n");
  });

  it("sends what libraries print with console through the guard: no line of it starts a workflow command", () => {
    const script = `import(${JSON.stringify(dist)}).then(({ runCli }) => runCli(async () => { console.error("error parsing json:", "{\\n::error title=INJECTED::x\\n::add-mask::a"); console.log("::warning::y"); return 0; }, "t"))`;
    const result = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe("error parsing json: {\n| ::error title=INJECTED::x\n| ::add-mask::a\n");
    expect(result.stdout).toBe("| ::warning::y\n");
  });
});
