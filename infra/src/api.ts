// The HTTP API: the Hono app as one Lambda behind API Gateway, Cognito users (admin, annotator) as JWT issuers.
import { Duration, Stack } from "aws-cdk-lib";
import * as apigw from "aws-cdk-lib/aws-apigatewayv2";
import { HttpUserPoolAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as cognito from "aws-cdk-lib/aws-cognito";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import type * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { boxloopFunction } from "./node-function.ts";

export interface ApiProps {
  /** The TypeScript file exporting `handler` (the Hono app through hono/aws-lambda). */
  readonly entry: string;
  /** Environment of the API Lambda: bucket names, state machine ARN, scheduler settings, serving address. */
  readonly environment: Record<string, string>;
  /** The API Lambda runs in this VPC to reach TF Serving through Cloud Map. */
  readonly vpc: ec2.IVpc;
  readonly logRetention: logs.RetentionDays;
  /** Steady-state requests per second the stage accepts. @default 2000 */
  readonly rateLimit?: number;
  /** Burst above the rate. @default 1000 */
  readonly burstLimit?: number;
  /** Whether users must use a second factor (TOTP). @default cognito.Mfa.REQUIRED */
  readonly mfa?: cognito.Mfa;
}

/** The Cognito groups the API reads from the token's `cognito:groups` claim. */
export const USER_GROUPS = ["admin", "annotator"] as const;

export class Api extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly webClient: cognito.UserPoolClient;
  public readonly handler: nodejs.NodejsFunction;
  public readonly httpApi: apigw.HttpApi;
  public readonly stage: apigw.HttpStage;
  public readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, "Users", userPoolDefaults(props.mfa ?? cognito.Mfa.REQUIRED));
    for (const group of USER_GROUPS) {
      new cognito.CfnUserPoolGroup(this, `Group-${group}`, { userPoolId: this.userPool.userPoolId, groupName: group });
    }
    this.webClient = this.userPool.addClient("Web", {
      authFlows: { userSrp: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    const functionLogs = new logs.LogGroup(this, "HandlerLogs", { retention: props.logRetention });
    this.handler = boxloopFunction(this, "Handler", {
      entry: props.entry,
      environment: {
        ...props.environment,
        COGNITO_USER_POOL_ID: this.userPool.userPoolId,
        COGNITO_CLIENT_IDS: this.webClient.userPoolClientId,
      },
      logGroup: functionLogs,
      vpc: props.vpc,
    });

    this.httpApi = new apigw.HttpApi(this, "Http", {
      createDefaultStage: false,
      defaultAuthorizer: new HttpUserPoolAuthorizer("Cognito", this.userPool, { userPoolClients: [this.webClient] }),
    });
    this.httpApi.addRoutes({
      path: "/api/{proxy+}",
      methods: [apigw.HttpMethod.ANY],
      integration: new HttpLambdaIntegration("App", this.handler),
    });
    this.accessLogs = new logs.LogGroup(this, "AccessLogs", { retention: props.logRetention });
    this.stage = this.httpApi.addStage("Stage", {
      stageName: "$default",
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 2000, burstLimit: props.burstLimit ?? 1000 },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(this.accessLogs) },
    });
  }

  /** The host name CloudFront forwards `/api/*` to. */
  get domainName(): string {
    const stack = Stack.of(this);
    return `${this.httpApi.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
  }
}

function userPoolDefaults(mfa: cognito.Mfa): cognito.UserPoolProps {
  return {
    selfSignUpEnabled: false,
    signInAliases: { email: true },
    autoVerify: { email: true },
    mfa,
    mfaSecondFactor: { otp: true, sms: false },
    passwordPolicy: {
      minLength: 12,
      requireLowercase: true,
      requireUppercase: true,
      requireDigits: true,
      requireSymbols: true,
      tempPasswordValidity: Duration.days(3),
    },
    accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
  };
}
