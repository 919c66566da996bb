// One offline `cdk synth` of the whole app through the real CLI and cdk.json (cdk-nag included), shared by
// every assertion below; the same app is also built in-process (not synthesized) to find logical ids.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { createApp } from "./app.ts";
import type { BoxloopStack } from "./boxloop-stack.ts";
import { imageForExport, STAND_IN_IMAGE } from "./export-definition.ts";
import { NAG_ACKNOWLEDGEMENTS } from "./nag-acknowledgements.ts";
import { committedDefinitionPath, repoRoot } from "./paths.ts";
import { formatDefinition, localDefinition } from "./workflow-definition.ts";

type Json = Record<string, unknown>;
type Resource = { Type: string; Properties: Json };

let outdir: string;
let stack: BoxloopStack;
let template: Template;
let raw: { Resources: Record<string, Resource> };

let constructed: string;
// The same app built in-process without the nag acknowledgements: its logical ids are the CLI's, and
// synthesizing it must fail on exactly the acknowledged rules.
let bareApp: App;

before(() => {
  outdir = mkdtempSync(join(tmpdir(), "boxloop-cdk-test-"));
  constructed = mkdtempSync(join(tmpdir(), "boxloop-cdk-app-"));
  const image = imageForExport();
  const context = image ? ["--context", `trainingImageUri=${STAND_IN_IMAGE}`] : [];
  // Exits non-zero if cdk-nag (a validation plugin) reports an unacknowledged finding.
  const cli = spawnSync("npx", ["cdk", "synth", "--quiet", "--no-notices", "--output", outdir, ...context], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: "true", AWS_EC2_METADATA_DISABLED: "true" },
  });
  assert.equal(cli.status, 0, `cdk synth failed:\n${cli.stdout}\n${cli.stderr}`);
  const bare = createApp({
    outdir: constructed,
    acknowledgeNagFindings: false,
    ...(image ? { trainingImage: image } : {}),
  });
  stack = bare.stack;
  bareApp = bare.app;
  raw = JSON.parse(readFileSync(join(outdir, `${stack.stackName}.template.json`), "utf8"));
  template = Template.fromJSON(raw);
});

after(() => {
  rmSync(outdir, { recursive: true, force: true });
  rmSync(constructed, { recursive: true, force: true });
});

const resourcesOf = (type: string) => Object.entries(raw.Resources).filter(([, r]) => r.Type === type);
const logicalIdOf = (construct: { node: { defaultChild?: unknown } }) =>
  stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId) as string;

test("`cdk synth` works offline and writes the template and its asset manifest", () => {
  assert.ok(existsSync(join(outdir, `${stack.stackName}.template.json`)));
  assert.ok(existsSync(join(outdir, `${stack.stackName}.assets.json`)));
  assert.ok(Object.keys(raw.Resources).length > 50);
  if (!imageForExport()) {
    // The training image is staged (its build context copied) but not built: synth needs no Docker.
    const assets = JSON.parse(readFileSync(join(outdir, `${stack.stackName}.assets.json`), "utf8")) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile?: string; platform?: string } }>;
    };
    const images = Object.values(assets.dockerImages).map((image) => image.source);
    assert.deepEqual(images, [
      { directory: images[0]!.directory, dockerFile: "training-image/Dockerfile", platform: "linux/amd64" },
    ]);
  }
});

test("cdk-nag AwsSolutions: no unacknowledged finding; fewer than 10 acknowledgements, each with a reason and needed", () => {
  // The synth in before() passed validation. Without the acknowledgements the same app must fail it, on
  // exactly the acknowledged rules: so the plugin runs, and no acknowledgement is left over.
  assert.ok(NAG_ACKNOWLEDGEMENTS.length < 10, `${NAG_ACKNOWLEDGEMENTS.length} acknowledgements`);
  for (const { id, reason } of NAG_ACKNOWLEDGEMENTS) {
    assert.match(id, /^AwsSolutions-[A-Z]+\d+$/);
    assert.ok(reason.length >= 60, `${id} has a written reason`);
  }
  assert.throws(() => bareApp.synth(), /Validation failed/);
  const report = JSON.parse(readFileSync(join(constructed, "validation-report.json"), "utf8")) as {
    pluginReports: { pluginName: string; violations: { ruleName: string }[] }[];
  };
  const nag = report.pluginReports.find((r) => r.pluginName === "AwsSolutions");
  assert.ok(nag, "the AwsSolutions plugin ran");
  const failedRules = new Set(nag.violations.map((v) => v.ruleName.replace(/\[.*$/, "")));
  assert.deepEqual([...failedRules].sort(), [...new Set(NAG_ACKNOWLEDGEMENTS.map((a) => a.id))].sort());
});

test("the template has no circular dependency (CloudFormation would reject it at deploy)", () => {
  const ids = new Set(Object.keys(raw.Resources));
  const refs = (value: unknown, into: Set<string>): Set<string> => {
    if (Array.isArray(value)) for (const v of value) refs(v, into);
    else if (value && typeof value === "object") {
      for (const [key, v] of Object.entries(value)) {
        if (key === "Ref" && typeof v === "string" && ids.has(v)) into.add(v);
        else if (key === "Fn::GetAtt" && Array.isArray(v) && ids.has(v[0] as string)) into.add(v[0] as string);
        else if (key === "Fn::Sub") {
          const text = Array.isArray(v) ? v[0] : v;
          for (const m of String(text).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) if (ids.has(m[1]!)) into.add(m[1]!);
          refs(v, into);
        } else refs(v, into);
      }
    }
    return into;
  };
  const edges = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries(raw.Resources)) {
    const deps = refs((resource as unknown as Json).Properties, new Set());
    const dependsOn = (resource as unknown as { DependsOn?: string | string[] }).DependsOn;
    for (const d of [dependsOn ?? []].flat()) deps.add(d);
    edges.set(id, deps);
  }
  const state = new Map<string, "open" | "done">();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === "done") return;
    assert.notEqual(state.get(id), "open", `cycle: ${[...path, id].join(" -> ")}`);
    state.set(id, "open");
    for (const next of edges.get(id) ?? []) visit(next, [...path, id]);
    state.set(id, "done");
  };
  for (const id of ids) visit(id, []);
});

test("no account or region is written into the template", () => {
  // CDKMetadata's condition lists the regions that accept it; that list is CDK's, not a deployment choice.
  const { CDKMetadata: _, ...resources } = raw.Resources;
  const text = JSON.stringify({ resources, outputs: (raw as unknown as Json).Outputs });
  const account = /\b\d{12}\b/.exec(text);
  assert.equal(account, null, `account id ${account?.[0]}`);
  const region = /\b(us|eu|ap|sa|ca|me|af|il|mx)-(east|west|north|south|central|northeast|southeast)-\d\b/.exec(text);
  assert.equal(region, null, `region ${region?.[0]}`);
});

test("data and models buckets: encrypted, versioned, private, logged, expiring, TLS-only", () => {
  for (const bucket of [stack.storage.dataBucket, stack.storage.modelsBucket]) {
    const id = logicalIdOf(bucket);
    const props = raw.Resources[id]!.Properties;
    assert.deepEqual(props.BucketEncryption, {
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
    });
    assert.deepEqual(props.VersioningConfiguration, { Status: "Enabled" });
    assert.deepEqual(props.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    assert.ok((props.LoggingConfiguration as Json).DestinationBucketName, "access logs");
    const rules = (props.LifecycleConfiguration as { Rules: Json[] }).Rules;
    assert.ok(
      rules.some((r) => r.NoncurrentVersionExpiration),
      "noncurrent versions expire",
    );
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
            Principal: { AWS: "*" },
          }),
        ]),
      },
    });
  }
  const data = raw.Resources[logicalIdOf(stack.storage.dataBucket)]!.Properties;
  const rules = (data.LifecycleConfiguration as { Rules: Json[] }).Rules;
  assert.ok(
    rules.some((r) => r.Id === "old-snapshots" && r.ExpirationInDays),
    "old snapshots expire",
  );
  const cors = (data.CorsConfiguration as { CorsRules: Json[] }).CorsRules;
  assert.deepEqual(cors[0]!.AllowedMethods, ["PUT", "GET", "HEAD"]);
  assert.match(JSON.stringify(cors[0]!.AllowedOrigins), /DomainName/, "CORS allows the CloudFront origin");
});

const ourFunctions = () => [stack.api.handler, ...Object.values(stack.workflowFunctions)].map(logicalIdOf);

test("every Lambda of ours is nodejs22.x on arm64, bundled from functions/", () => {
  const ours = ourFunctions();
  for (const id of ours) {
    const props = raw.Resources[id]!.Properties;
    assert.equal(props.Runtime, "nodejs22.x");
    assert.deepEqual(props.Architectures, ["arm64"]);
  }
  const handlers = ours.map((id) => raw.Resources[id]!.Properties.Handler);
  assert.deepEqual(handlers, [
    "index.handler",
    "index.snapshot",
    "index.evaluate",
    "index.publish",
    "index.cleanup",
    "index.recordFailure",
  ]);
});

test("the Lambda bundles hold no native addon: they run on arm64, and are bundled on whatever builds them", () => {
  for (const id of ourFunctions()) {
    const asset = (raw.Resources[id] as { Metadata?: Json }).Metadata?.["aws:asset:path"] as string;
    const files = readdirSync(join(outdir, asset), { recursive: true }).map(String);
    assert.ok(files.includes("index.mjs"), `${id}: ${files.join(", ")}`);
    assert.deepEqual(
      files.filter((f) => f.endsWith(".node")),
      [],
      id,
    );
    const bundle = readFileSync(join(outdir, asset, "index.mjs"), "utf8");
    assert.ok(!/["']sharp["']/.test(bundle), `${id}: the bundle loads sharp, a native addon`);
  }
});

test("the API: HTTP API with a Cognito JWT authorizer, admin and annotator groups, throttling, access logs", () => {
  template.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
    AuthorizerType: "JWT",
    IdentitySource: ["$request.header.Authorization"],
    JwtConfiguration: Match.objectLike({ Issuer: Match.anyValue() }),
  });
  template.hasResourceProperties("AWS::ApiGatewayV2::Route", {
    RouteKey: "ANY /api/{proxy+}",
    AuthorizationType: "JWT",
  });
  const groups = resourcesOf("AWS::Cognito::UserPoolGroup").map(([, r]) => r.Properties.GroupName);
  assert.deepEqual(groups.sort(), ["admin", "annotator"]);
  template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
    StageName: "$default",
    DefaultRouteSettings: { ThrottlingRateLimit: 2000, ThrottlingBurstLimit: 1000 },
    AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
  });
  const env = (raw.Resources[logicalIdOf(stack.api.handler)]!.Properties.Environment as { Variables: Json }).Variables;
  for (const name of [
    "DATA_BUCKET",
    "MODELS_BUCKET",
    "COGNITO_USER_POOL_ID",
    "COGNITO_CLIENT_IDS",
    "BOXLOOP_STATE_MACHINE_ARN",
    "BOXLOOP_SCHEDULE_GROUP",
    "BOXLOOP_SCHEDULER_ROLE_ARN",
  ]) {
    assert.ok(env[name], `API environment has ${name}`);
  }
  assert.equal(env.BOXLOOP_MODEL_NAME_SCHEME, "{campaignId}");
  assert.equal(env.BOXLOOP_TF_SERVING_REST, "http://serving.boxloop.internal:8501");
  for (const fn of Object.values(stack.workflowFunctions)) {
    const vars = (raw.Resources[logicalIdOf(fn)]!.Properties.Environment as { Variables: Json }).Variables;
    for (const name of ["BOXLOOP_DATA_BUCKET", "BOXLOOP_MODELS_BUCKET", "BOXLOOP_STATE_MACHINE_ARN"]) {
      assert.ok(vars[name], `workflow environment has ${name}`);
    }
  }
});

test("the state machine: standard, JSONPath, the DESIGN.md states in order, every task caught into RecordFailure", () => {
  template.hasResourceProperties("AWS::StepFunctions::StateMachine", { StateMachineType: "STANDARD" });
  const asl = localDefinition(stack, raw) as { StartAt: string; QueryLanguage?: string; States: Record<string, Json> };
  assert.notEqual(asl.QueryLanguage, "JSONata");
  assert.doesNotMatch(JSON.stringify(asl), /JSONata|\{%/);
  const s = asl.States;
  // Walk the happy path: the order of the states.
  const path: string[] = [];
  for (let name: string | undefined = asl.StartAt; name; ) {
    path.push(name);
    const state: Json = s[name]!;
    if (state.Type === "Choice") {
      const choices = state.Choices as Json[];
      name = choices[0]!.Next as string;
    } else name = state.Next as string | undefined;
  }
  assert.deepEqual(path, ["Snapshot", "Ready?", "Train", "Evaluate", "Gate", "Publish", "CleanUp", "Done"]);
  assert.deepEqual(s["Ready?"]!.Choices, [{ Variable: "$.snapshot.status", StringEquals: "ready", Next: "Train" }]);
  assert.equal(s["Ready?"]!.Default, "Skipped");
  assert.equal(s.Skipped!.Type, "Succeed");
  assert.deepEqual(s.Gate!.Choices, [{ Variable: "$.evaluation.publish", BooleanEquals: true, Next: "Publish" }]);
  assert.equal(s.Gate!.Default, "CleanUp");
  const resultPaths: Record<string, string> = {
    Snapshot: "$.snapshot",
    Train: "$.train",
    Evaluate: "$.evaluation",
    Publish: "$.publish",
    CleanUp: "$.cleanup",
  };
  for (const [name, resultPath] of Object.entries(resultPaths)) {
    assert.equal(s[name]!.ResultPath, resultPath, name);
    assert.deepEqual(s[name]!.Catch, [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "RecordFailure" }]);
  }
  assert.equal(s.RecordFailure!.Next, "Failed");
  assert.equal(s.Failed!.Type, "Fail");
  // Lambda steps are invoked directly (payloadResponseOnly), so the local runner sees the function.
  for (const name of ["Snapshot", "Evaluate", "Publish", "CleanUp", "RecordFailure"]) {
    assert.match(s[name]!.Resource as string, /^arn:aws:lambda:local:000000000000:function:[a-zA-Z]+$/);
  }
});

test("Train: runTask.sync through the GPU capacity provider (no LaunchType), the manifest as command, retries, timeout", () => {
  const asl = localDefinition(stack, raw) as { States: Record<string, Json> };
  const train = asl.States.Train!;
  assert.equal(train.Resource, "arn:aws:states:::ecs:runTask.sync");
  const params = train.Parameters as Json;
  assert.equal(params.LaunchType, undefined, "LaunchType would bypass the capacity provider");
  assert.deepEqual(params.CapacityProviderStrategy, [{ CapacityProvider: "boxloop-gpu", Weight: 1 }]);
  assert.deepEqual((params.Overrides as Json).ContainerOverrides, [
    { Name: "trainer", "Command.$": "States.Array('--job', $.snapshot.manifest)" },
  ]);
  assert.ok((train.TimeoutSeconds as number) > 0);
  const retry = (train.Retry as Json[])[0]!;
  assert.ok((retry.ErrorEquals as string[]).includes("ECS.AmazonECSException"));
  assert.equal(retry.BackoffRate, 2);
  assert.ok((retry.MaxAttempts as number) >= 3);
});

test("GPU training capacity: a GPU per task, an ECS GPU AMI, g5 instances scaling from zero", () => {
  template.hasResourceProperties("AWS::ECS::TaskDefinition", {
    RequiresCompatibilities: ["EC2"],
    ContainerDefinitions: [Match.objectLike({ Name: "trainer", ResourceRequirements: [{ Type: "GPU", Value: "1" }] })],
  });
  template.hasResourceProperties("AWS::AutoScaling::AutoScalingGroup", { MinSize: "0", MaxSize: "2" });
  template.hasResourceProperties("AWS::EC2::LaunchTemplate", {
    LaunchTemplateData: Match.objectLike({ InstanceType: "g5.xlarge" }),
  });
  const parameters = JSON.stringify((raw as unknown as { Parameters: Json }).Parameters);
  assert.match(parameters, /amazon-linux-2023\/gpu\/recommended/, "the ECS-optimized GPU AMI");
  template.hasResourceProperties("AWS::ECS::CapacityProvider", {
    AutoScalingGroupProvider: Match.objectLike({
      ManagedScaling: Match.objectLike({ Status: "ENABLED" }),
      // Instances running a training task are never scaled in.
      ManagedTerminationProtection: "ENABLED",
    }),
  });
});

test("serving: tensorflow/serving on Fargate with the sync sidecar, a REST health check and a Cloud Map name", () => {
  template.hasResourceProperties("AWS::ECS::TaskDefinition", {
    RequiresCompatibilities: ["FARGATE"],
    ContainerDefinitions: Match.arrayWith([
      Match.objectLike({ Name: "model-sync", Command: Match.arrayWith([Match.stringLikeRegexp("saved_model.pb")]) }),
      Match.objectLike({
        Name: "tf-serving",
        Image: Match.stringLikeRegexp("^tensorflow/serving:\\d+\\.\\d+\\.\\d+$"),
        HealthCheck: Match.objectLike({ Command: ["CMD-SHELL", Match.stringLikeRegexp("GET /v1/models/")] }),
        DependsOn: [{ ContainerName: "model-sync", Condition: "HEALTHY" }],
      }),
    ]),
  });
  template.hasResourceProperties("AWS::ECS::Service", {
    LaunchType: "FARGATE",
    ServiceRegistries: [Match.objectLike({ RegistryArn: Match.anyValue() })],
  });
  template.hasResourceProperties("AWS::ServiceDiscovery::PrivateDnsNamespace", { Name: "boxloop.internal" });
  template.hasResourceProperties("AWS::ServiceDiscovery::Service", { Name: "serving" });
});

test("schedules: a group for the API's per-campaign schedules and a nightly schedule, disabled, targeting the state machine", () => {
  template.hasResourceProperties("AWS::Scheduler::ScheduleGroup", { Name: "boxloop-dev" });
  template.hasResourceProperties("AWS::Scheduler::Schedule", {
    State: "DISABLED",
    ScheduleExpression: "cron(0 3 * * ? *)",
    Target: Match.objectLike({
      Arn: { Ref: logicalIdOf(stack.workflow.stateMachine) },
      RoleArn: Match.anyValue(),
      Input: Match.stringLikeRegexp('"trigger":\\{"kind":"schedule"\\}'),
    }),
  });
  const apiPolicies = resourcesOf("AWS::IAM::Policy").filter(([, r]) =>
    JSON.stringify(r.Properties.Roles).includes("ApiHandler"),
  );
  const statements = JSON.stringify(apiPolicies.map(([, r]) => r.Properties.PolicyDocument));
  assert.match(statements, /scheduler:CreateSchedule/);
  assert.match(statements, /iam:PassRole/);
  assert.match(statements, /states:StartExecution/);
});

test("web: CloudFront with origin access control for the site bucket and the API under /api/*", () => {
  template.hasResourceProperties("AWS::CloudFront::OriginAccessControl", {
    OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: "s3", SigningBehavior: "always" }),
  });
  template.hasResourceProperties("AWS::CloudFront::Distribution", {
    DistributionConfig: Match.objectLike({
      Origins: Match.arrayWith([Match.objectLike({ OriginAccessControlId: Match.anyValue() })]),
      CacheBehaviors: [Match.objectLike({ PathPattern: "/api/*", ViewerProtocolPolicy: "https-only" })],
      Logging: Match.objectLike({ Bucket: Match.anyValue() }),
    }),
  });
  const [[, deployment]] = resourcesOf("Custom::CDKBucketDeployment") as [[string, Resource]];
  assert.equal((deployment.Properties.SourceMarkers as unknown[]).length, 2, "the app and /config.json");
  assert.match(JSON.stringify(deployment.Properties.SourceMarkers), /UsersResource|Users[0-9A-F]{8}/);
});

test("alarms on API 5xx, Lambda errors, failed executions and unhealthy serving, and one dashboard", () => {
  const alarms = resourcesOf("AWS::CloudWatch::Alarm").map(([, r]) => r.Properties);
  const by = (namespace: string, metric: string) =>
    alarms.filter((a) => a.Namespace === namespace && a.MetricName === metric);
  assert.equal(by("AWS/ApiGateway", "5xx").length, 1);
  assert.equal(by("AWS/Lambda", "Errors").length, 6);
  assert.equal(by("AWS/States", "ExecutionsFailed").length, 1);
  assert.equal(by("ECS/ContainerInsights", "RunningTaskCount").length, 1);
  for (const alarm of alarms) assert.equal((alarm.AlarmActions as unknown[]).length, 1, "alarms notify the topic");
  assert.equal(resourcesOf("AWS::CloudWatch::Dashboard").length, 1);
});

test("the committed local workflow definition is the one cdk synth produces", () => {
  const committed = readFileSync(committedDefinitionPath, "utf8");
  assert.equal(
    committed,
    formatDefinition(localDefinition(stack, raw)),
    "run `npx tsx infra/bin/export-workflow.ts` and commit local/src/workflow/state-machine.asl.json",
  );
});
