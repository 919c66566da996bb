// The built web app on a private S3 bucket behind CloudFront (origin access control), with the API on
// the same distribution under /api/*, so the browser talks to one origin.
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as origins from "aws-cdk-lib/aws-cloudfront-origins";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as s3deploy from "aws-cdk-lib/aws-s3-deployment";
import { Construct } from "constructs";
import { secureBucketProps } from "./bucket-defaults.ts";
import { asIBucket } from "./cdk-interop.ts";

export interface WebProps {
  /** Host name of the HTTP API (`<id>.execute-api.<region>.amazonaws.com`). */
  readonly apiDomainName: string;
  readonly logsBucket: s3.IBucket;
  /**
   * Folder of the built web app (`web/dist`). When undefined, a one-page placeholder is deployed, so the
   * stack synthesizes without a web build. @default undefined
   */
  readonly assetPath?: string | undefined;
  /**
   * Served as `/config.json` beside the app: what the browser needs to sign in (user pool and client ids,
   * region). Values may be tokens; they are filled in at deploy time. @default {}
   */
  readonly runtimeConfig?: Record<string, string>;
}

const PLACEHOLDER = `<!doctype html><title>boxloop</title><p>The web app was not built when this stack was synthesized: run
<code>npm run build -w web</code>, then <code>npx cdk deploy</code> again.</p>`;

export class Web extends Construct {
  public readonly bucket: s3.IBucket;
  public readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: WebProps) {
    super(scope, id);
    this.bucket = asIBucket(new s3.Bucket(this, "Site", secureBucketProps(props.logsBucket, "web/")));
    const api = new origins.HttpOrigin(props.apiDomainName, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });
    this.distribution = new cloudfront.Distribution(this, "Distribution", {
      defaultRootObject: "index.html",
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      },
      additionalBehaviors: {
        "/api/*": {
          origin: api,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
      // No custom error pages: they apply to every behavior and would hide the API's JSON errors.
      enableLogging: true,
      logBucket: props.logsBucket,
      logFilePrefix: "cloudfront/",
    });
    new s3deploy.BucketDeployment(this, "Deploy", {
      sources: [
        props.assetPath ? s3deploy.Source.asset(props.assetPath) : s3deploy.Source.data("index.html", PLACEHOLDER),
        s3deploy.Source.jsonData("config.json", props.runtimeConfig ?? {}),
      ],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ["/index.html", "/config.json"],
    });
  }

  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}
