// `boxloop start`: the whole loop on this machine until Ctrl-C.
import { resolve } from "node:path";
import { ApiClient } from "../api-client.ts";
import { CliError, type Command, parseOptions, port } from "../command.ts";
import { startLocalStack } from "../stack.ts";

const help = `usage: boxloop start [--data-dir .boxloop] [--port 8787] [--images DIR --labels a,b]

The whole loop on this machine: API and web page, model server (TF Serving REST and gRPC),
training workflow, trainer and scheduler. Prints the URL and the admin token.

  --data-dir DIR          where everything is stored (default .boxloop)
  --port N                API and web page (default 8787)
  --grpc-port N           model server gRPC (default 8500)
  --rest-api-port N       model server REST (default 8501)
  --host ADDR             address to listen on (default 127.0.0.1)
  --admin-token TOKEN     the admin token (else $BOXLOOP_ADMIN_TOKEN, else <data-dir>/admin-token)
  --images DIR            create a campaign from the images in DIR …
  --labels a,b            … with these labels (required with --images)
  --name NAME             the campaign's name (default: the folder's name)
  --json                  print the URL and token as one JSON line`;

export const command: Command = {
  help,
  async run(argv) {
    const { values } = parseOptions(argv, {
      "data-dir": { type: "string", default: ".boxloop" },
      port: { type: "string" },
      "grpc-port": { type: "string" },
      "rest-api-port": { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      "admin-token": { type: "string" },
      images: { type: "string" },
      labels: { type: "string" },
      name: { type: "string" },
      json: { type: "boolean", default: false },
    });
    const images = values.images === undefined ? undefined : resolve(values.images);
    const labels =
      values.labels
        ?.split(",")
        .map((l) => l.trim())
        .filter(Boolean) ?? [];
    if (images !== undefined && labels.length === 0) throw new CliError("--images needs --labels a,b");
    if (images === undefined && values.labels !== undefined) throw new CliError("--labels goes with --images DIR");

    const stack = await startLocalStack({
      dataDir: values["data-dir"]!,
      port: port(values, "port", 8787),
      grpcPort: port(values, "grpc-port", 8500),
      restPort: port(values, "rest-api-port", 8501),
      host: values.host!,
      ...(values["admin-token"] ? { adminToken: values["admin-token"] } : {}),
      importRoots: images ? [images] : [],
    }).catch((error: Error) => {
      throw new CliError(error.message, 1);
    });

    if (images !== undefined) {
      const api = new ApiClient(stack.url, stack.adminToken);
      const name = values.name ?? images.split("/").filter(Boolean).at(-1) ?? "images";
      const campaign = await api.call<{ id: string }>("POST", "/campaigns", { name, labels });
      const imported = await api.call<{ imported: number; duplicates: number; skipped: unknown[] }>(
        "POST",
        `/campaigns/${campaign.id}/images:import`,
        { source: "folder", path: images },
      );
      console.error(
        `campaign ${campaign.id}: ${imported.imported} images imported, ${imported.duplicates} duplicates, ${imported.skipped.length} skipped`,
      );
    }

    const url = `${stack.url}/?token=${encodeURIComponent(stack.adminToken)}`;
    if (values.json)
      console.log(
        JSON.stringify({
          url: stack.url,
          adminToken: stack.adminToken,
          grpcPort: stack.modelServer.grpcPort,
          restPort: stack.modelServer.restPort,
        }),
      );
    else {
      console.log(`boxloop is running: ${url}`);
      console.log(`admin token: ${stack.adminToken}`);
      console.log(`model server: gRPC :${stack.modelServer.grpcPort}, REST :${stack.modelServer.restPort}`);
    }

    await new Promise<void>((done) => {
      const stop = () => {
        console.error("stopping…");
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        stack.stop().then(done, done);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    return 0;
  },
};
