// The `data` and `models` buckets (see DESIGN.md "Storage layout") and the bucket their access logs go to.
import { Duration } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { noncurrentExpiry, secureBucketProps, snapshotExpiry } from "./bucket-defaults.ts";
import { asIBucket } from "./cdk-interop.ts";

export interface StorageProps {
  /** Days before noncurrent versions, old snapshots and access logs expire. @default 30 */
  readonly retentionDays?: number;
}

export class Storage extends Construct {
  /** Server access logs of the other buckets, and CloudFront's standard logs. */
  public readonly logsBucket: s3.IBucket;
  /** Campaigns, images, annotations, leases, snapshots, checkpoints. */
  public readonly dataBucket: s3.IBucket;
  /** Exported SavedModels, `<campaignId>/<version>/saved_model.pb`. */
  public readonly modelsBucket: s3.IBucket;
  private readonly data: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const days = props.retentionDays ?? 30;
    this.logsBucket = asIBucket(
      new s3.Bucket(this, "Logs", {
        ...secureBucketProps(undefined, ""),
        // CloudFront standard logging writes with ACLs, so this bucket keeps them enabled.
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
        lifecycleRules: [
          { id: "expire-logs", expiration: Duration.days(days), noncurrentVersionExpiration: Duration.days(1) },
        ],
      }),
    );
    this.data = new s3.Bucket(this, "Data", {
      ...secureBucketProps(this.logsBucket, "data/"),
      lifecycleRules: [noncurrentExpiry(days), snapshotExpiry(days)],
    });
    this.dataBucket = asIBucket(this.data);
    this.modelsBucket = asIBucket(
      new s3.Bucket(this, "Models", {
        ...secureBucketProps(this.logsBucket, "models/"),
        lifecycleRules: [noncurrentExpiry(days)],
      }),
    );
  }

  /** Lets pages served from `origin` (https://…, a token is fine) upload to and read from the data bucket. */
  allowUploadsFrom(origin: string): void {
    this.data.addCorsRule(uploadCors(origin));
  }
}

/** Browsers PUT images straight to the data bucket with presigned URLs from the API, and read them back. */
export function uploadCors(origin: string): s3.CorsRule {
  return {
    allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
    allowedOrigins: [origin],
    allowedHeaders: ["*"],
    exposedHeaders: ["ETag"],
    maxAge: 3000,
  };
}
