// Placeholder until the issue that owns `boxloop start` lands; replaced whole by that work.
import { CliError, type Command } from "../command.ts";

export const command: Command = {
  help: "usage: boxloop start (not built yet)",
  async run() {
    throw new CliError("'start' is not built yet", 1);
  },
};
