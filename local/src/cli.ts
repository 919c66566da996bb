// `boxloop <command>`: each command is a module in ./commands exporting a `Command`.
// Commands load lazily, so `boxloop convert` never pays for TensorFlow.js.
import type { Command } from "./command.ts";
import { CliError } from "./command.ts";

const commands: Record<string, () => Promise<{ command: Command }>> = {
  start: () => import("./commands/start.ts"),
  train: () => import("./commands/train.ts"),
  eval: () => import("./commands/eval.ts"),
  serve: () => import("./commands/serve.ts"),
  convert: () => import("./commands/convert.ts"),
  simulate: () => import("./commands/simulate.ts"),
};

const usage = `usage: boxloop <command> [options]

commands:
  start      the whole loop on this machine: API, web page, model server, workflow, trainer
  train      train a detector from annotations and export a SavedModel
  eval       COCO metrics of a SavedModel on annotations
  serve      a model server speaking TensorFlow Serving's REST and gRPC APIs
  convert    convert annotations between coco, voc, csv, yolo and tfrecord
  simulate   an oracle annotator drives the real loop; prints the learning curve

Run \`boxloop <command> --help\` for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(usage);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    console.error(`boxloop: unknown command '${name}'\n\n${usage}`);
    return 2;
  }
  let command: Command;
  try {
    command = (await load()).command;
  } catch (error) {
    console.error(`boxloop ${name}: not available: ${(error as Error).message}`);
    return 1;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.help);
    return 0;
  }
  try {
    return (await command.run(rest)) ?? 0;
  } catch (error) {
    if (error instanceof CliError) {
      console.error(`boxloop ${name}: ${error.message}`);
      return error.exitCode;
    }
    throw error;
  }
}
