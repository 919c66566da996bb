// Placeholder until the issue that owns `boxloop simulate` lands; replaced whole by that work.
import { CliError, type Command } from "../command.ts";

export const command: Command = {
  help: "usage: boxloop simulate (not built yet)",
  async run() {
    throw new CliError("'simulate' is not built yet", 1);
  },
};
