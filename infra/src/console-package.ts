// Turns a cloud assembly (cdk.out) into what the CloudFormation console needs: the stack's template and a
// README of its assets (Lambda bundles, the web files, the training image) with how to publish them, and
// the "Launch stack" URL that points the console at the published template.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface AssetManifest {
  files?: Record<
    string,
    {
      displayName?: string;
      source: { path: string; packaging: string };
      destinations: Record<string, { bucketName: string; objectKey: string }>;
    }
  >;
  dockerImages?: Record<
    string,
    {
      displayName?: string;
      source: { directory: string; dockerFile?: string };
      destinations: Record<string, { repositoryName: string; imageTag: string }>;
    }
  >;
}

interface CloudManifest {
  artifacts: Record<string, { type: string; properties?: { templateFile?: string }; displayName?: string }>;
}

export interface ConsolePackage {
  stackName: string;
  templatePath: string;
  readmePath: string;
}

/** Writes `<assembly>/console/<stack>.template.json` and `<assembly>/console/README.md` for every stack. */
export function writeConsolePackage(assemblyDir: string): ConsolePackage[] {
  const manifest = JSON.parse(readFileSync(join(assemblyDir, "manifest.json"), "utf8")) as CloudManifest;
  const out = join(assemblyDir, "console");
  mkdirSync(out, { recursive: true });
  const written: ConsolePackage[] = [];
  for (const [stackName, artifact] of Object.entries(manifest.artifacts)) {
    if (artifact.type !== "aws:cloudformation:stack" || !artifact.properties?.templateFile) continue;
    const templatePath = join(out, `${stackName}.template.json`);
    copyFileSync(join(assemblyDir, artifact.properties.templateFile), templatePath);
    const assets = JSON.parse(readFileSync(join(assemblyDir, `${stackName}.assets.json`), "utf8")) as AssetManifest;
    const readmePath = join(out, `${stackName}.README.md`);
    writeFileSync(readmePath, consoleReadme(stackName, artifact.properties.templateFile, assets));
    written.push({ stackName, templatePath, readmePath });
  }
  return written;
}

export function consoleReadme(stackName: string, templateFile: string, assets: AssetManifest): string {
  const files = Object.entries(assets.files ?? {});
  const images = Object.entries(assets.dockerImages ?? {});
  const template = files.find(([, f]) => f.source.path === templateFile);
  const templateKey = template ? Object.values(template[1].destinations)[0]?.objectKey : undefined;
  const lines = [
    `# ${stackName}: launch from the CloudFormation console`,
    "",
    `\`${stackName}.template.json\` is the whole stack. Its parameters have defaults (the GPU AMI id is read from SSM); everything it deploys that is not`,
    "CloudFormation (Lambda bundles, the web files, the training image) is an asset that must be published to the",
    "account's CDK bootstrap bucket and repository first. Once per account and region, with credentials for it:",
    "",
    "```sh",
    "npx cdk bootstrap                       # the bucket and ECR repository the assets go to",
    `npx cdk publish-assets ${stackName}     # uploads the files below, builds and pushes the image (needs Docker)`,
    "```",
    "",
    "Then launch (the template is over the console's 51 KB upload limit, so the console reads it from S3, where",
    "`publish-assets` put it):",
    "",
    templateKey
      ? `https://console.aws.amazon.com/cloudformation/home?region=REGION#/stacks/create/review?stackName=${stackName}&templateURL=https://cdk-hnb659fds-assets-ACCOUNT-REGION.s3.REGION.amazonaws.com/${templateKey}`
      : "(the template is not among the assets: upload it with Create stack → Upload a template file)",
    "",
    "Replace ACCOUNT and REGION, tick the IAM capability boxes, and create the stack. `npx cdk deploy` does all",
    "of this in one command.",
    "",
    "## Assets",
    "",
    "| asset | kind | source (in cdk.out) | destination |",
    "| --- | --- | --- | --- |",
    ...files.map(([hash, f]) => {
      const d = Object.values(f.destinations)[0];
      return `| ${f.displayName ?? hash} | file (${f.source.packaging}) | \`${f.source.path}\` | s3://${d?.bucketName}/${d?.objectKey} |`;
    }),
    ...images.map(([hash, image]) => {
      const d = Object.values(image.destinations)[0];
      const dockerfile = image.source.dockerFile ? `, \`${image.source.dockerFile}\`` : "";
      return `| ${image.displayName ?? hash} | Docker image | \`${image.source.directory}\`${dockerfile} | ${d?.repositoryName}:${d?.imageTag} |`;
    }),
    "",
  ];
  return lines.join("\n");
}
