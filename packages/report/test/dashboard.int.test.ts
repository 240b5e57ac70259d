import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CloudFormationClient, DeleteStackCommand } from "@aws-sdk/client-cloudformation";
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  GetDashboardCommand,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
} from "@aws-sdk/client-cloudwatch";
import { createContext } from "@prebake/core";
import { asIntrinsic, readStackTemplate } from "@prebake/stack";
import { afterAll, describe, expect, it } from "vitest";

// stacks/ci's dashboard and alarms, deployed by the real CLI to the emulator, read back.
const repo = resolve(import.meta.dirname, "../../..");
const CLI = join(repo, "packages/cli/bin/prebake.js");
const project = `mon${randomBytes(3).toString("hex")}`;
const stackName = `${project}-ci`;
const root = mkdtempSync(join(tmpdir(), "prebake-monitoring-"));
mkdirSync(join(root, "stacks/ci"), { recursive: true });
copyFileSync(join(repo, "stacks/ci/stack.yaml"), join(root, "stacks/ci/stack.yaml"));
writeFileSync(join(root, "prebake.config.yaml"), `project: ${project}\nprofile: local\n`);
const ctx = createContext({ cwd: root, env: {}, quiet: true });
const cw = ctx.aws(CloudWatchClient);
const { template } = readStackTemplate(root, "ci");
const alarmIds = Object.entries(template.Resources)
  .filter(([, r]) => r.Type === "AWS::CloudWatch::Alarm")
  .map(([id]) => id);

afterAll(async () => {
  await ctx.aws(CloudFormationClient).send(new DeleteStackCommand({ StackName: stackName }));
  const { MetricAlarms } = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${stackName}-` }));
  const names = (MetricAlarms ?? []).flatMap((a) => a.AlarmName ?? []);
  if (names.length) await cw.send(new DeleteAlarmsCommand({ AlarmNames: names }));
  rmSync(root, { recursive: true, force: true });
});

/**
 * The alarm's properties with the intrinsics it uses (Sub of the stack name, Ref of a parameter,
 * If on HasAlarmTopic) resolved as CloudFormation would for these parameter values.
 */
function resolved(id: string, parameters: Record<string, string>): PutMetricAlarmCommandInput {
  const hasTopic = parameters.AlarmTopicArn !== "";
  const walk = (v: unknown): unknown => {
    const fn = asIntrinsic(v);
    if (fn?.name === "Sub") return String(fn.arg).replaceAll(`\${AWS::StackName}`, stackName);
    if (fn?.name === "Ref") return fn.arg === "AWS::NoValue" ? undefined : parameters[String(fn.arg)];
    if (fn?.name === "If") {
      const [condition, yes, no] = fn.arg as [string, unknown, unknown];
      expect(condition).toBe("HasAlarmTopic");
      return walk(hasTopic ? yes : no);
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const props = walk(template.Resources[id]!.Properties) as Record<string, unknown>;
  return { ...props, Threshold: Number(props.Threshold) } as PutMetricAlarmCommandInput;
}

describe("stacks/ci monitoring in the emulator", () => {
  it("a deploy creates the dashboard with CodeBuild's metrics per project (namespace, dimension, names resolved)", async () => {
    const r = spawnSync(process.execPath, [CLI, "deploy", "ci", "--no-lint"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const { DashboardBody } = await cw.send(
      new GetDashboardCommand({ DashboardName: `${stackName}-builds` }),
    );
    const body = JSON.parse(DashboardBody!) as {
      widgets: { properties: { region: string; metrics: [string, string, string, string, object][] } }[];
    };
    const metrics = body.widgets.flatMap((w) => w.properties.metrics.map((m) => m.slice(0, 4).join(" ")));
    for (const projectName of [`${stackName}-hello-erlang`, `${stackName}-python-layer`]) {
      for (const metric of [
        "Duration",
        "ProvisioningDuration",
        "InstallDuration",
        "BuildDuration",
        "SucceededBuilds",
        "FailedBuilds",
      ]) {
        expect(metrics).toContain(`AWS/CodeBuild ${metric} ProjectName ${projectName}`);
      }
    }
    expect(new Set(body.widgets.map((w) => w.properties.region))).toEqual(new Set(["us-east-1"]));
  });

  it("each alarm of the template, as CloudWatch keeps it: thresholds from the parameters, SNS actions only with a topic", async () => {
    // moto 5.2's CloudFormation does not create AWS::CloudWatch::Alarm (it skips unknown types),
    // so the rendered definitions go through CloudWatch's own API: what a deploy to AWS creates.
    expect(alarmIds).toHaveLength(6);
    const defaults = {
      InstallDurationAlarmSeconds: "30",
      LayerInstallDurationAlarmSeconds: "240",
      ProvisioningDurationAlarmSeconds: "120",
      AlarmTopicArn: "",
    };
    for (const id of alarmIds) await cw.send(new PutMetricAlarmCommand(resolved(id, defaults)));
    const { MetricAlarms } = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${stackName}-` }));
    const byName = new Map((MetricAlarms ?? []).map((a) => [a.AlarmName, a]));
    expect(byName.get(`${stackName}-hello-erlang-install-duration`)).toMatchObject({
      Namespace: "AWS/CodeBuild",
      MetricName: "InstallDuration",
      Dimensions: [{ Name: "ProjectName", Value: `${stackName}-hello-erlang` }],
      Threshold: 30,
      ComparisonOperator: "GreaterThanThreshold",
      TreatMissingData: "notBreaching",
      AlarmActions: [],
    });
    expect(byName.get(`${stackName}-python-layer-install-duration`)?.Threshold).toBe(240);
    expect(byName.get(`${stackName}-hello-erlang-failed-builds`)).toMatchObject({
      MetricName: "FailedBuilds",
      Threshold: 1,
    });
    expect(byName.get(`${stackName}-hello-erlang-provisioning-duration`)).toMatchObject({
      MetricName: "ProvisioningDuration",
      Threshold: 120,
    });

    const topic = "arn:aws:sns:us-east-1:123456789012:build-alarms";
    await cw.send(
      new PutMetricAlarmCommand(
        resolved("HelloErlangAppFailedBuildsAlarm", { ...defaults, AlarmTopicArn: topic }),
      ),
    );
    const again = await cw.send(
      new DescribeAlarmsCommand({ AlarmNames: [`${stackName}-hello-erlang-failed-builds`] }),
    );
    expect(again.MetricAlarms?.[0]?.AlarmActions).toEqual([topic]);
  });
});
