import { PolyglotError } from "../errors.js";

/** Runs `run` and returns the PolyglotError it throws; fails the test when it throws nothing or something else. */
export function catchError(run: () => unknown): PolyglotError {
  try {
    run();
  } catch (error) {
    if (error instanceof PolyglotError) return error;
    throw error;
  }
  throw new Error("expected a PolyglotError");
}
