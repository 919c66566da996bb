// Placeholder until the issue that owns `boxloop convert` lands; replaced whole by that work.
import { CliError, type Command } from "../command.ts";

export const command: Command = {
  help: "usage: boxloop convert (not built yet)",
  async run() {
    throw new CliError("'convert' is not built yet", 1);
  },
};
