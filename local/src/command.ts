import { type ParseArgsConfig, parseArgs } from "node:util";

export interface Command {
  /** The text `--help` prints: usage line, then one line per option. */
  help: string;
  /** Returns the exit code; throws CliError for a user's mistake. */
  run(argv: string[]): Promise<number | undefined>;
}

/** A mistake the user can fix: printed as one line, exit code 2 unless told. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** parseArgs that turns unknown or malformed options into a CliError. */
export function parseOptions<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/** A required string option, or a CliError naming it. */
export function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new CliError(`--${name} is required`);
  return value;
}

/** A positive integer option, or a CliError naming it. */
export function positiveInt(values: Record<string, unknown>, name: string, fallback?: number): number {
  const value = values[name];
  if (value === undefined) {
    if (fallback === undefined) throw new CliError(`--${name} is required`);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`--${name} must be a positive integer, got '${value}'`);
  return n;
}

/** A TCP port option (0 picks a free one), or a CliError naming it. */
export function port(values: Record<string, unknown>, name: string, fallback: number): number {
  const value = values[name];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new CliError(`--${name} must be a port number (0-65535), got '${value}'`);
  return n;
}
