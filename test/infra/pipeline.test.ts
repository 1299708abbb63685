import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadPipelineConfig } from '../../infra/config.js';
import { STAGE_TEST_COMMAND, type PipelineStack } from '../../infra/pipeline.js';
import {
  acknowledgements,
  resourcesOfType,
  SYNTH_TIMEOUT_MS,
  synthesizePipeline,
  templateFiles,
  unacknowledgedNagErrors,
  validationViolations,
  type CfnResourceJson,
  type SynthesizedApp,
  type TemplateJson,
} from './support.js';

interface Action {
  Name: string;
  ActionTypeId: { Category: string; Provider: string };
  RunOrder: number;
  Configuration?: Record<string, any>;
}

interface PipelineStage {
  Name: string;
  Actions: Action[];
}

let synthesized: SynthesizedApp<PipelineStack>;
let template: TemplateJson;

// The pipeline app is synthesized once, as `npx cdk synth` without a stage does.
beforeAll(() => {
  synthesized = synthesizePipeline();
  template = Template.fromStack(synthesized.root).toJSON() as TemplateJson;
}, SYNTH_TIMEOUT_MS);

afterAll(() => synthesized?.remove());

function cdkJson(): { output: string } {
  return JSON.parse(readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8')) as {
    output: string;
  };
}

function pipelineStages(): PipelineStage[] {
  const [pipeline] = resourcesOfType(template, 'AWS::CodePipeline::Pipeline');
  return pipeline?.Properties?.Stages as PipelineStage[];
}

function pipelineStage(name: string): PipelineStage {
  const stage = pipelineStages().find((candidate) => candidate.Name === name);
  if (stage === undefined) throw new Error(`pipeline has no stage ${name}`);
  return stage;
}

function action(stage: string, predicate: (action: Action) => boolean): Action {
  const found = pipelineStage(stage).Actions.find(predicate);
  if (found === undefined) throw new Error(`pipeline stage ${stage} has no such action`);
  return found;
}

/** Returns the first RunOrder of the CloudFormation actions that deploy the stage's stack. */
function firstDeployRunOrder(stage: string): number {
  const orders = pipelineStage(stage)
    .Actions.filter((candidate) => candidate.ActionTypeId.Category === 'Deploy')
    .map((candidate) => candidate.RunOrder);
  return Math.min(...orders);
}

/** Returns the buildspec of the CodeBuild project that the action runs. */
function buildSpecOf(found: Action): string {
  const projectId = (found.Configuration?.ProjectName as { Ref: string }).Ref;
  const project = template.Resources[projectId] as CfnResourceJson;
  return project.Properties?.Source.BuildSpec as string;
}

function buildCommands(found: Action): string[] {
  const buildSpec = JSON.parse(buildSpecOf(found)) as { phases: { build: { commands: string[] } } };
  return buildSpec.phases.build.commands;
}

describe('pipeline', () => {
  it('synthesizes every stage', () => {
    const stacks = synthesized.assembly.nestedAssemblies.map((nested) =>
      nested.nestedAssembly.stacks.map((stack) => stack.stackName),
    );
    expect(stacks.flat().sort()).toEqual(['qrmail-dev', 'qrmail-prod', 'qrmail-staging']);
  });

  it('deploys dev, staging, prod in order', () => {
    const names = pipelineStages().map((stage) => stage.Name);
    expect(names.filter((name) => ['Dev', 'Staging', 'Prod'].includes(name))).toEqual(['Dev', 'Staging', 'Prod']);
  });

  it('deploys after building and assets', () => {
    const names = pipelineStages().map((stage) => stage.Name);
    expect(names.slice(0, 4)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets']);
  });

  it('reads the configured repository', () => {
    const config = loadPipelineConfig();
    const source = action('Source', (candidate) => candidate.ActionTypeId.Provider === 'CodeStarSourceConnection');
    expect(source.Configuration).toMatchObject({
      ConnectionArn: config.connectionArn,
      FullRepositoryId: config.repository,
      BranchName: config.branch,
    });
  });

  it('synth step tests then synthesizes', () => {
    const synth = action('Build', (candidate) => candidate.Name === 'Synth');
    expect(buildCommands(synth)).toEqual(['npm ci', 'npm test', 'npx cdk synth']);
  });

  it('synth output matches cdk.json', () => {
    const synth = action('Build', (candidate) => candidate.Name === 'Synth');
    const buildSpec = JSON.parse(buildSpecOf(synth)) as { artifacts: { 'base-directory': string } };
    expect(buildSpec.artifacts['base-directory']).toBe(cdkJson().output);
  });

  it('builds run Node.js 22', () => {
    const synth = action('Build', (candidate) => candidate.Name === 'Synth');
    const buildSpec = JSON.parse(buildSpecOf(synth)) as { phases: { install: Record<string, unknown> } };
    expect(buildSpec.phases.install['runtime-versions']).toEqual({ nodejs: '22' });
  });

  it.each(['Dev', 'Staging', 'Prod'])('%s runs the tests', (stage) => {
    const tests = action(stage, (candidate) => candidate.Name === `${stage}Tests`);
    expect(buildCommands(tests)).toEqual([STAGE_TEST_COMMAND]);
  });

  it.each(['Dev', 'Staging', 'Prod'])('%s tests before deploying', (stage) => {
    const tests = action(stage, (candidate) => candidate.Name === `${stage}Tests`);
    expect(tests.RunOrder).toBeLessThan(firstDeployRunOrder(stage));
  });

  it('prod waits for approval after tests', () => {
    const approval = action('Prod', (candidate) => candidate.ActionTypeId.Category === 'Approval');
    const tests = action('Prod', (candidate) => candidate.Name === 'ProdTests');
    expect(approval.RunOrder).toBeGreaterThan(tests.RunOrder);
  });

  it('prod approval precedes deployment', () => {
    const approval = action('Prod', (candidate) => candidate.ActionTypeId.Category === 'Approval');
    expect(approval.RunOrder).toBeLessThan(firstDeployRunOrder('Prod'));
  });

  it.each(['Dev', 'Staging'])('%s deploys without approval', (stage) => {
    const approvals = pipelineStage(stage).Actions.filter(
      (candidate) => candidate.ActionTypeId.Category === 'Approval',
    );
    expect(approvals).toEqual([]);
  });

  it('rotates the cross-account artifact key', () => {
    const [key] = resourcesOfType(template, 'AWS::KMS::Key');
    expect(key?.Properties?.EnableKeyRotation).toBe(true);
  });
});

describe('pipeline validation', () => {
  it('has no unacknowledged nag errors', () => {
    expect(unacknowledgedNagErrors(synthesized.assembly)).toEqual([]);
  });

  it('every acknowledgement has a reason', () => {
    const withoutReason = acknowledgements(synthesized.app).filter(
      (acknowledgement) => typeof acknowledgement.reason !== 'string' || acknowledgement.reason.trim().length < 20,
    );
    expect(withoutReason).toEqual([]);
  });

  it('templates pass CloudFormation validation', () => {
    const findings = validationViolations(synthesized.assembly).filter(
      (violation) => violation.pluginName !== 'AwsSolutions',
    );
    expect(findings).toEqual([]);
  });

  it('writes four templates', () => {
    expect(templateFiles(synthesized.assembly)).toHaveLength(4);
  });
});
