// The `data` and `models` buckets (see DESIGN.md "Storage layout") and the bucket their access logs go to.
import { Duration } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { noncurrentExpiry, secureBucketProps, snapshotExpiry } from "./bucket-defaults.ts";
import { asIBucket } from "./cdk-interop.ts";

export interface StorageProps {
  /** Days before noncurrent versions, old snapshots and access logs expire. @default 30 */
  readonly retentionDays?: number;
  /**
   * Origins allowed to PUT presigned uploads into the data bucket (the web's CloudFront origin).
   * Tokens are allowed. @default ["*"] is never used: an empty list means no CORS rule.
   */
  readonly corsOrigins?: string[];
}

export class Storage extends Construct {
  /** Server access logs of the other buckets, and CloudFront's standard logs. */
  public readonly logsBucket: s3.IBucket;
  /** Campaigns, images, annotations, leases, snapshots, checkpoints. */
  public readonly dataBucket: s3.IBucket;
  /** Exported SavedModels, `<campaignId>/<version>/saved_model.pb`. */
  public readonly modelsBucket: s3.IBucket;

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
    this.dataBucket = asIBucket(
      new s3.Bucket(this, "Data", {
        ...secureBucketProps(this.logsBucket, "data/"),
        lifecycleRules: [noncurrentExpiry(days), snapshotExpiry(days)],
        cors: uploadCors(props.corsOrigins ?? []),
      }),
    );
    this.modelsBucket = asIBucket(
      new s3.Bucket(this, "Models", {
        ...secureBucketProps(this.logsBucket, "models/"),
        lifecycleRules: [noncurrentExpiry(days)],
      }),
    );
  }
}

/** Browsers PUT images straight to S3 with presigned URLs from the API. */
function uploadCors(origins: string[]): s3.CorsRule[] {
  if (origins.length === 0) return [];
  return [
    {
      allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
      allowedOrigins: origins,
      allowedHeaders: ["*"],
      exposedHeaders: ["ETag"],
      maxAge: 3000,
    },
  ];
}
