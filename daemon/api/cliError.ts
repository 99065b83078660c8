import { ExitCodes } from './constants';

/** A command-line mistake: printed with the usage and the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
export const invalidOption = (message: string, exitCode: number = ExitCodes.BadUsage) => new CliError(message, exitCode);
