/**
 * Helpers of the CDK tests: synthesizing the app as `cdk synth` does, and reading the templates,
 * the cdk-nag findings and the acknowledged findings out of the result.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { App, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';

import { buildQrmailApp } from '../../infra/build.js';
import type { StageName } from '../../infra/config.js';
import type { PipelineStack } from '../../infra/pipeline.js';
import type { QrmailStage } from '../../infra/stage.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Synthesis bundles both functions with esbuild and validates every template, which takes seconds. */
export const SYNTH_TIMEOUT_MS = 180_000;

/** A CloudFormation template as JSON. */
export type TemplateJson = { Resources: Record<string, CfnResourceJson>; Outputs?: Record<string, unknown> };
export type CfnResourceJson = { Type: string; Properties?: Record<string, any>; DeletionPolicy?: string };

/** One finding of a validation plugin (cdk-nag's `AwsSolutions`, or CDK's own CloudFormation checks). */
export interface Violation {
  pluginName: string;
  ruleName: string;
  severity: string;
  constructPaths: string[];
}

/** A finding acknowledged with `Validations.of(construct).acknowledge`. */
export interface Acknowledgement {
  path: string;
  id: string;
  reason: unknown;
}

export interface SynthesizedApp<T> {
  app: App;
  root: T;
  assembly: CloudAssembly;
  /** Deletes the cloud assembly folder. */
  remove: () => void;
}

/** Returns the context of cdk.json (the feature flags), so that tests synthesize what the CLI does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context;
}

export interface SynthesizeOptions {
  /** Context values added to those of cdk.json, such as `stage`. */
  context?: Record<string, unknown>;
  /**
   * Whether CDK checks the templates against its CloudFormation rules, as `cdk synth` does. The
   * check takes seconds per template, and pipeline.test.ts runs it over every template of the app.
   */
  cloudFormationValidation?: boolean;
}

/**
 * Synthesizes an app with the context of cdk.json. Validation findings (cdk-nag's included) are
 * written to the report instead of thrown, so that a test can list them. `cdk synth` fails on them.
 */
export function synthesize<T>(build: (app: App) => T, options: SynthesizeOptions = {}): SynthesizedApp<T> {
  const app = new App({
    context: { ...cdkJsonContext(), ...options.context, '@aws-cdk/core:failSynthOnValidationErrors': false },
    builtinCloudFormationValidation: options.cloudFormationValidation ?? true,
  });
  const root = build(app);
  const assembly = app.synth();
  return { app, root, assembly, remove: () => rmSync(assembly.directory, { recursive: true, force: true }) };
}

/** Synthesizes one stage as `npx cdk synth -c stage=<stage>` does. */
export function synthesizeStage(
  stage: StageName,
  options: Omit<SynthesizeOptions, 'context'> = {},
): SynthesizedApp<QrmailStage> {
  return synthesize((app) => buildQrmailApp(app) as QrmailStage, { ...options, context: { stage } });
}

/** Synthesizes the pipeline app, as `npx cdk synth` without a stage does. */
export function synthesizePipeline(options: Omit<SynthesizeOptions, 'context'> = {}): SynthesizedApp<PipelineStack> {
  return synthesize((app) => buildQrmailApp(app) as PipelineStack, options);
}

/** Reads the findings of every validation plugin from the report in the cloud assembly. */
export function validationViolations(assembly: CloudAssembly): Violation[] {
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
    pluginReports: {
      pluginName: string;
      violations: { ruleName: string; severity: string; violatingConstructs?: { constructPath: string }[] }[];
    }[];
  };
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.map((violation) => ({
      pluginName: plugin.pluginName,
      ruleName: violation.ruleName,
      severity: violation.severity,
      constructPaths: (violation.violatingConstructs ?? []).map((construct) => construct.constructPath),
    })),
  );
}

/** Returns the cdk-nag AWS Solutions findings of level error that no acknowledgement covers. */
export function unacknowledgedNagErrors(assembly: CloudAssembly): Violation[] {
  return validationViolations(assembly).filter(
    (violation) => violation.pluginName === 'AwsSolutions' && violation.severity === 'error',
  );
}

/** Returns every acknowledgement recorded on `scope` and the constructs below it. */
export function acknowledgements(scope: IConstruct): Acknowledgement[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

/** Returns the paths of every file in a folder and its subfolders. */
export function filesBelow(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Returns every CloudFormation template of the assembly, nested stage assemblies included. */
export function templateFiles(assembly: CloudAssembly): string[] {
  return filesBelow(assembly.directory).filter((file) => file.endsWith('.template.json'));
}

/** Returns the logical id of the CloudFormation resource behind an L2 construct. */
export function logicalIdOf(construct: IConstruct): string {
  const element = construct.node.defaultChild as CfnElement;
  return Stack.of(construct).resolve(element.logicalId) as string;
}

/** Returns the resources of `template` of one type. */
export function resourcesOfType(template: TemplateJson, type: string): CfnResourceJson[] {
  return Object.values(template.Resources).filter((resource) => resource.Type === type);
}

/** Returns the resource of `template` behind an L2 construct. Throws when the template lacks it. */
export function resourceOf(template: TemplateJson, construct: IConstruct): CfnResourceJson {
  const id = logicalIdOf(construct);
  const resource = template.Resources[id];
  if (resource === undefined) throw new Error(`template has no resource ${id} (${construct.node.path})`);
  return resource;
}

/** An IAM policy statement, with Action and Resource always arrays. */
export interface Statement {
  Effect: string;
  Action: string[];
  Resource: unknown[];
}

/** Returns the statements of the inline policies attached to the role with logical id `roleId`. */
export function statementsOfRole(template: TemplateJson, roleId: string): Statement[] {
  return resourcesOfType(template, 'AWS::IAM::Policy')
    .filter((policy) =>
      (policy.Properties?.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId })),
    )
    .flatMap((policy) => policy.Properties?.PolicyDocument.Statement as Record<string, unknown>[])
    .map((statement) => ({
      Effect: statement.Effect as string,
      Action: ([] as string[]).concat(statement.Action as string | string[]),
      Resource: ([] as unknown[]).concat(statement.Resource),
    }));
}

/** Returns the environment variables of a function, with references to other resources as placeholder strings. */
export function environmentOf(fn: CfnResourceJson): Record<string, string> {
  const variables = (fn.Properties?.Environment?.Variables ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : `<${JSON.stringify(value)}>`,
    ]),
  );
}
