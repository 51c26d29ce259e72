/** Exit codes of the spanlens command; the usage text lists them. */
export const EXIT = {
  OK: 0,
  /** A bug: anything not classified below. */
  INTERNAL: 1,
  /** Bad arguments (usage printed). */
  USAGE: 2,
  /** The thread has no trace in the source, or its trace has no run spans. */
  NOT_FOUND: 3,
  /** The backend is unreachable or answered with an HTTP error; the file cannot be read. */
  UNAVAILABLE: 4,
  /** The file or the backend's answer is not what it should be (bad JSON, wrong shape). */
  MALFORMED: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An expected failure: its message is printed as is, and the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
