/**
 * A problem the user can fix (bad input, bad config, bad flag). It carries one
 * clear sentence and the exit code the CLI contract assigns; it is printed
 * without a stack trace.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 2,
  ) {
    super(message);
    this.name = "UserError";
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}

/** One line for logs and stderr, whatever was thrown. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
