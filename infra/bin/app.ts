// The CDK app `cdk.json` runs: `npx cdk synth`, `npx cdk deploy -c stage=prod`.
import { createApp } from "../src/app.ts";

createApp().app.synth();
