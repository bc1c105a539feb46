// The onboarding commands (`init`, `trust`, `doctor --workflows`), dispatched before the publish commands.
import { initCommand } from "./init/command.js";
import {
  isOnboardingCommand,
  type OnboardingIo,
  onboardingHelp,
  parseOnboardingArgs,
} from "./onboarding-args.js";
import { trustCommand } from "./trust/command.js";

/** Runs `init` / `trust` / `doctor --workflows`; undefined when argv names another command. */
export async function runOnboarding(argv: readonly string[], io: OnboardingIo): Promise<number | undefined> {
  const [first] = argv;
  if (!isOnboardingCommand(first)) return undefined;
  const args = parseOnboardingArgs(argv);
  if (args.command === "help") {
    io.stdout.write(`${onboardingHelp(args.topic)}\n`);
    return 0;
  }
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  if (args.command === "init") return initCommand(args, io);
  return trustCommand(args, { ...io, interactive });
}
