import { constants } from "node:os";

const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
/** How long the child group gets to end after SIGTERM before it is killed. */
const GRACE_MS = 5_000;

/**
 * While installed, SIGTERM / SIGINT / SIGHUP do not end polyglot-publish at once: they stop the tracked child
 * process groups (the `changeset` child and the npm it runs) and are remembered, so the run can report what was
 * published, clean its temp folder and exit with 128 + the signal's number. A second signal kills the groups.
 */
export class StopOnSignal {
  signal: NodeJS.Signals | undefined;
  readonly #groups = new Set<number>();
  readonly #onSignal = (signal: NodeJS.Signals) => this.#stop(signal);

  install(): this {
    for (const signal of STOP_SIGNALS) process.on(signal, this.#onSignal);
    return this;
  }

  uninstall(): void {
    for (const signal of STOP_SIGNALS) process.off(signal, this.#onSignal);
  }

  /** Tracks a child started as the leader of its own process group (`detached`); stopped at once if late. */
  track(pid: number): void {
    this.#groups.add(pid);
    if (this.signal) killGroup(pid, "SIGTERM");
  }

  untrack(pid: number): void {
    this.#groups.delete(pid);
  }

  /** 128 + the signal's number (143 for SIGTERM, 130 for SIGINT), as a shell reports a process killed by it. */
  exitCode(): number {
    return 128 + (this.signal ? (constants.signals[this.signal] ?? 15) : 15);
  }

  #stop(signal: NodeJS.Signals): void {
    const again = this.signal !== undefined;
    this.signal ??= signal;
    for (const pid of this.#groups) killGroup(pid, again ? "SIGKILL" : "SIGTERM");
    if (again) return;
    setTimeout(() => {
      for (const pid of this.#groups) killGroup(pid, "SIGKILL");
    }, GRACE_MS).unref();
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}
