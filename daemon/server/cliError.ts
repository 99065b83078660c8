/** A command-line mistake: printed with the usage and the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
export const invalidOption = (message: string, exitCode = 2) => new CliError(message, exitCode);
