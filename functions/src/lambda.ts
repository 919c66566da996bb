// The API's Lambda entry point (bundled by infra/). Configuration: deps-aws.ts.
import { handle } from "hono/aws-lambda";
import { createApp } from "./app.ts";
import { awsDeps } from "./deps-aws.ts";

export const handler = handle(createApp(awsDeps()));
