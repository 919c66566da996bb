// Placeholder until the issue that owns `boxloop eval` lands; replaced whole by that work.
import { CliError, type Command } from "../command.ts";

export const command: Command = {
  help: "usage: boxloop eval (not built yet)",
  async run() {
    throw new CliError("'eval' is not built yet", 1);
  },
};
