// Alarms on what users feel (API 5xx, Lambda errors, failed training runs, TF Serving below its healthy
// task count) and one dashboard with the same metrics.
import { Duration } from "aws-cdk-lib";
import type * as apigw from "aws-cdk-lib/aws-apigatewayv2";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as ecs from "aws-cdk-lib/aws-ecs";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";

export interface MonitoringProps {
  readonly dashboardName: string;
  readonly httpApi: apigw.HttpApi;
  /** Every Lambda whose errors page someone, by a short name. */
  readonly functions: Record<string, lambda.IFunction>;
  readonly stateMachine: sfn.IStateMachine;
  readonly servingService: ecs.BaseService;
  /** Running tasks below this count mean TF Serving is unhealthy (ECS stops unhealthy tasks). */
  readonly servingHealthyCount: number;
  /** The topic every alarm notifies (subscribe an e-mail address to it). */
  readonly topic: sns.ITopic;
  /** API 5xx responses in 5 minutes that raise the alarm. @default 5 */
  readonly api5xxThreshold?: number;
}

export class Monitoring extends Construct {
  public readonly api5xx: cloudwatch.Alarm;
  public readonly lambdaErrors: cloudwatch.Alarm[];
  public readonly failedExecutions: cloudwatch.Alarm;
  public readonly servingUnhealthy: cloudwatch.Alarm;
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const fiveMinutes = Duration.minutes(5);
    const api5xxMetric = props.httpApi.metricServerError({ period: fiveMinutes, statistic: "Sum" });
    this.api5xx = api5xxMetric.createAlarm(this, "Api5xx", {
      alarmDescription: "The HTTP API answered with 5xx",
      threshold: props.api5xxThreshold ?? 5,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.lambdaErrors = Object.entries(props.functions).map(([name, fn]) =>
      fn.metricErrors({ period: fiveMinutes, statistic: "Sum" }).createAlarm(this, `LambdaErrors-${name}`, {
        alarmDescription: `Lambda ${name} threw`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    const failedMetric = props.stateMachine.metricFailed({ period: fiveMinutes, statistic: "Sum" });
    this.failedExecutions = failedMetric.createAlarm(this, "FailedExecutions", {
      alarmDescription: "A training run failed",
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const runningTasks = new cloudwatch.Metric({
      namespace: "ECS/ContainerInsights",
      metricName: "RunningTaskCount",
      dimensionsMap: {
        ClusterName: props.servingService.cluster.clusterName,
        ServiceName: props.servingService.serviceName,
      },
      statistic: "Minimum",
      period: Duration.minutes(1),
    });
    this.servingUnhealthy = runningTasks.createAlarm(this, "ServingUnhealthy", {
      alarmDescription: "TF Serving has fewer healthy tasks than it should",
      threshold: props.servingHealthyCount,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    for (const alarm of this.alarms) alarm.addAlarmAction(new actions.SnsAction(props.topic));

    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", { dashboardName: props.dashboardName });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "API requests and 5xx",
        left: [props.httpApi.metricCount({ period: fiveMinutes, statistic: "Sum" }), api5xxMetric],
        right: [props.httpApi.metricLatency({ period: fiveMinutes, statistic: "p99" })],
      }),
      new cloudwatch.GraphWidget({
        title: "Lambda errors",
        left: Object.values(props.functions).map((fn) => fn.metricErrors({ period: fiveMinutes, statistic: "Sum" })),
      }),
      new cloudwatch.GraphWidget({
        title: "Training runs",
        left: [props.stateMachine.metricSucceeded({ period: fiveMinutes, statistic: "Sum" }), failedMetric],
      }),
      new cloudwatch.GraphWidget({ title: "TF Serving running tasks", left: [runningTasks] }),
    );
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms: this.alarms, width: 24 }));
  }

  get alarms(): cloudwatch.Alarm[] {
    return [this.api5xx, ...this.lambdaErrors, this.failedExecutions, this.servingUnhealthy];
  }
}
