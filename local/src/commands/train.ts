// Placeholder until the issue that owns `boxloop train` lands; replaced whole by that work.
import { CliError, type Command } from "../command.ts";

export const command: Command = {
  help: "usage: boxloop train (not built yet)",
  async run() {
    throw new CliError("'train' is not built yet", 1);
  },
};
