// `boxloop serve`: tensorflow_model_server's flags, in-process. Runs until SIGINT/SIGTERM.
import { readFile } from "node:fs/promises";
import { CliError, type Command, parseOptions } from "../command.ts";
import { defaultBatching } from "../model-server/batcher.ts";
import { parseBatchingParameters } from "../model-server/batching-parameters.ts";
import { type ModelServerOptions, startModelServer } from "../model-server/index.ts";
import { type ModelEntry, readModelConfigFile } from "../model-server/model-config.ts";
import { latestOne } from "../model-server/version-policy.ts";

const help = `usage: boxloop serve --model-name NAME --model-base-path DIR|s3://BUCKET/PREFIX [options]
       boxloop serve --model-config-file FILE [options]

A model server speaking TensorFlow Serving's REST and gRPC APIs (flags as tensorflow_model_server;
the underscore spellings, e.g. --model_name, are accepted too).

  --model-name NAME                      name of the single model served
  --model-base-path PATH                 its base path: a directory or s3://bucket/prefix
  --model-config-file FILE               text-format ModelServerConfig (several models, version policies, labels)
  --port N                               gRPC port (default 8500)
  --rest-api-port N                      REST port (default 8501)
  --host ADDR                            address to listen on (default 0.0.0.0)
  --file-system-poll-wait-seconds N      seconds between polls for new versions; 0 polls once (default 1)
  --enable-batching                      batch concurrent requests; num_batch_threads model threads run them
  --batching-parameters-file FILE        text-format BatchingParameters (max_batch_size, batch_timeout_micros,
                                         num_batch_threads: default one per core, ${defaultBatching.numBatchThreads} here)
  --max-batch-size N                     batching: rows per batch (default ${defaultBatching.maxBatchSize})
  --batch-timeout-micros N               batching: longest wait for a batch to fill (default ${defaultBatching.batchTimeoutMicros})
  --cache-dir DIR                        where s3:// versions are mirrored
  --json                                 print the listening ports as one JSON line`;

const names = [
  "model-name",
  "model-base-path",
  "model-config-file",
  "port",
  "rest-api-port",
  "host",
  "file-system-poll-wait-seconds",
  "batching-parameters-file",
  "max-batch-size",
  "batch-timeout-micros",
  "cache-dir",
] as const;

const options = Object.fromEntries(
  names.flatMap((n) => [
    [n, { type: "string" as const }],
    [n.replaceAll("-", "_"), { type: "string" as const }],
  ]),
) as Record<string, { type: "string" }>;

function integer(values: Record<string, unknown>, name: string, fallback: number, min: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new CliError(`--${name} must be an integer ≥ ${min}, got '${raw}'`);
  return n;
}

export const command: Command = {
  help,
  async run(argv) {
    const { values: raw } = parseOptions(argv, {
      ...options,
      "enable-batching": { type: "boolean" },
      enable_batching: { type: "boolean" },
      json: { type: "boolean" },
    });
    const values: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) values[k.replaceAll("_", "-")] = v;

    let models: ModelEntry[];
    if (values["model-config-file"] !== undefined) {
      if (values["model-name"] !== undefined || values["model-base-path"] !== undefined) {
        throw new CliError("--model-config-file cannot be combined with --model-name/--model-base-path");
      }
      try {
        models = await readModelConfigFile(String(values["model-config-file"]));
      } catch (error) {
        throw new CliError(`--model-config-file: ${(error as Error).message}`);
      }
    } else {
      const basePath = values["model-base-path"];
      if (typeof basePath !== "string" || basePath === "") {
        throw new CliError("--model-base-path (or --model-config-file) is required");
      }
      const name = typeof values["model-name"] === "string" ? values["model-name"] : "default";
      models = [{ name, basePath, policy: latestOne, labels: {} }];
    }

    let batching: ModelServerOptions["batching"];
    if (values["enable-batching"]) {
      batching = { ...defaultBatching };
      const file = values["batching-parameters-file"];
      if (typeof file === "string") {
        try {
          const parsed = parseBatchingParameters(await readFile(file, "utf8"), file);
          batching = parsed.params;
          if (parsed.ignored.length)
            console.error(`boxloop serve: ignoring ${parsed.ignored.join(", ")} (one runtime thread)`);
        } catch (error) {
          throw new CliError(`--batching-parameters-file: ${(error as Error).message}`);
        }
      }
      batching.maxBatchSize = integer(values, "max-batch-size", batching.maxBatchSize, 1);
      batching.batchTimeoutMicros = integer(values, "batch-timeout-micros", batching.batchTimeoutMicros, 0);
    } else if (values["batching-parameters-file"] !== undefined || values["max-batch-size"] !== undefined) {
      throw new CliError("batching parameters need --enable-batching");
    }

    const server = await startModelServer({
      models,
      grpcPort: integer(values, "port", 8500, 0),
      restApiPort: integer(values, "rest-api-port", 8501, 0),
      fileSystemPollWaitSeconds: integer(values, "file-system-poll-wait-seconds", 1, 0),
      batching,
      ...(typeof values.host === "string" ? { host: values.host } : {}),
      ...(typeof values["cache-dir"] === "string" ? { cacheDir: values["cache-dir"] } : {}),
    }).catch((error: Error) => {
      throw new CliError(`cannot start: ${error.message}`, 1);
    });
    if (values.json) {
      console.log(
        JSON.stringify({ grpcPort: server.grpcPort, restApiPort: server.restPort, models: models.map((m) => m.name) }),
      );
    }
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await server.close();
    return 0;
  },
};
