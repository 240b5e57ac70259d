/**
 * CloudWatch for CodeBuild projects: a dashboard of CodeBuild's own per-project metrics and the
 * regression alarms (install phase too long, failed builds, provisioning too long), with an
 * optional SNS topic for the alarm actions. A stack spreads these parts into its template.
 *
 * Metrics: namespace AWS/CodeBuild, dimension ProjectName, durations in seconds.
 */
import { Equals, If, type Intrinsic, Not, Ref, resource, Sub } from "@prebake/stack";

export interface MonitoredProject {
  /** Logical id prefix of the project's alarms (e.g. HelloErlangApp -> HelloErlangAppInstallDurationAlarm). */
  id: string;
  /** What the dashboard and alarms call it. */
  label: string;
  /** The deployed project name, as a template string for Fn::Sub (`${AWS::StackName}-hello-erlang`). */
  nameTemplate: string;
  /** The parameter holding this project's INSTALL threshold (default InstallDurationAlarmSeconds). */
  installThresholdParameter?: string;
}

const NAMESPACE = "AWS/CodeBuild";
const DURATIONS = ["Duration", "ProvisioningDuration", "InstallDuration", "BuildDuration"] as const;
const COUNTS = ["SucceededBuilds", "FailedBuilds"] as const;

export const monitoringParameters = {
  InstallDurationAlarmSeconds: {
    Type: "Number",
    Default: 30,
    MinValue: 1,
    Description:
      "Alarm when a build's INSTALL phase takes longer (seconds): with the toolchain baked in, install only " +
      "activates it, so a longer install means something compiles there again",
  },
  ProvisioningDurationAlarmSeconds: {
    Type: "Number",
    Default: 120,
    MinValue: 1,
    Description:
      "Alarm when a build's PROVISIONING phase takes longer (seconds): CodeBuild pulls a custom image at every " +
      "build, so a longer provisioning means the image grew",
  },
  AlarmTopicArn: {
    Type: "String",
    Default: "",
    AllowedPattern: "^(arn:aws[a-z-]*:sns:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]{1,256})?$",
    ConstraintDescription: "empty, or the ARN of an SNS topic",
    Description: "SNS topic the alarms notify (empty: alarms change state without notifying anyone)",
  },
};

export const monitoringConditions = {
  HasAlarmTopic: Not(Equals(Ref("AlarmTopicArn"), "")),
};

const alarmActions = If("HasAlarmTopic", [Ref("AlarmTopicArn")], Ref("AWS::NoValue"));

function metricWidget(
  title: string,
  projects: MonitoredProject[],
  metrics: readonly string[],
  stat: string,
  y: number,
  x: number,
) {
  return {
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: {
      title,
      region: "${AWS::Region}",
      stat,
      period: 300,
      view: "timeSeries",
      metrics: projects.flatMap((p) =>
        metrics.map((m) => [NAMESPACE, m, "ProjectName", p.nameTemplate, { label: `${p.label} ${m}` }]),
      ),
    },
  };
}

/** The dashboard body: per project, its four phase durations (seconds) and its build counts. */
export function dashboardBody(projects: MonitoredProject[]): string {
  const widgets = projects.flatMap((p, row) => [
    metricWidget(`${p.label}: durations (s)`, [p], DURATIONS, "Average", row * 6, 0),
    metricWidget(`${p.label}: builds`, [p], COUNTS, "Sum", row * 6, 12),
  ]);
  return JSON.stringify({ widgets });
}

function alarm(
  p: MonitoredProject,
  what: {
    suffix: string;
    metric: string;
    statistic: string;
    threshold: Intrinsic | number;
    operator: string;
  },
  description: string,
) {
  return resource("AWS::CloudWatch::Alarm", {
    AlarmName: Sub(`${p.nameTemplate}-${what.suffix}`),
    AlarmDescription: description,
    Namespace: NAMESPACE,
    MetricName: what.metric,
    Dimensions: [{ Name: "ProjectName", Value: Sub(p.nameTemplate) }],
    Statistic: what.statistic,
    Period: 300,
    EvaluationPeriods: 1,
    Threshold: what.threshold,
    ComparisonOperator: what.operator,
    // No builds is not a regression.
    TreatMissingData: "notBreaching",
    AlarmActions: alarmActions,
  });
}

/** The dashboard and, per project, its three alarms. */
export function monitoringResources(projects: MonitoredProject[]) {
  const resources: Record<string, ReturnType<typeof resource>> = {
    BuildDashboard: resource("AWS::CloudWatch::Dashboard", {
      DashboardName: Sub("${AWS::StackName}-builds"),
      DashboardBody: Sub(dashboardBody(projects)),
    }),
  };
  for (const p of projects) {
    resources[`${p.id}InstallDurationAlarm`] = alarm(
      p,
      {
        suffix: "install-duration",
        metric: "InstallDuration",
        statistic: "Maximum",
        threshold: Ref(p.installThresholdParameter ?? "InstallDurationAlarmSeconds"),
        operator: "GreaterThanThreshold",
      },
      `${p.label}: INSTALL took longer than ${p.installThresholdParameter ?? "InstallDurationAlarmSeconds"} (a compile is back in the install phase?)`,
    );
    resources[`${p.id}FailedBuildsAlarm`] = alarm(
      p,
      {
        suffix: "failed-builds",
        metric: "FailedBuilds",
        statistic: "Sum",
        threshold: 1,
        operator: "GreaterThanOrEqualToThreshold",
      },
      `${p.label}: a build failed`,
    );
    resources[`${p.id}ProvisioningDurationAlarm`] = alarm(
      p,
      {
        suffix: "provisioning-duration",
        metric: "ProvisioningDuration",
        statistic: "Maximum",
        threshold: Ref("ProvisioningDurationAlarmSeconds"),
        operator: "GreaterThanThreshold",
      },
      `${p.label}: PROVISIONING took longer than ProvisioningDurationAlarmSeconds (the image grew?)`,
    );
  }
  return resources;
}

export const monitoringOutputs = {
  DashboardName: {
    Description: "CloudWatch dashboard of the builds",
    Value: Sub("${AWS::StackName}-builds"),
  },
};
