// Placeholder until the issue that owns `boxloop serve` lands; replaced whole by that work.
import { CliError, type Command } from "../command.ts";

export const command: Command = {
  help: "usage: boxloop serve (not built yet)",
  async run() {
    throw new CliError("'serve' is not built yet", 1);
  },
};
