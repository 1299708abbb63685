import { Stack, type StackProps } from 'aws-cdk-lib';
import { BuildSpec, LinuxBuildImage } from 'aws-cdk-lib/aws-codebuild';
import { CodePipeline, CodePipelineSource, ManualApprovalStep, ShellStep, type Step } from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';

import type { PipelineConfig, StageConfig } from './config.js';
import { acknowledgePipelineFindings } from './nag.js';
import { QrmailStage, stageId } from './stage.js';

/** The command each stage's pre step runs: a clean install and the whole test suite. */
export const STAGE_TEST_COMMAND = 'npm ci && npm test';

export interface PipelineStackProps extends StackProps {
  pipeline: PipelineConfig;
  /** The stages to deploy, in promotion order. */
  stages: StageConfig[];
}

/**
 * The CDK Pipelines stack: on every push to the configured branch it tests and synthesizes the
 * app, updates itself, and deploys the stages in order. Each stage runs the test suite first,
 * and prod also waits for a manual approval after those tests.
 */
export class PipelineStack extends Stack {
  readonly pipeline: CodePipeline;
  readonly stages: QrmailStage[] = [];

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, { ...props, env: props.pipeline.env });
    const source = CodePipelineSource.connection(props.pipeline.repository, props.pipeline.branch, {
      connectionArn: props.pipeline.connectionArn,
    });
    // A stage in another account needs a KMS key on the artifact bucket that both accounts can use.
    const crossAccountKeys = props.stages.some((stage) => stage.env.account !== props.pipeline.env.account);

    this.pipeline = new CodePipeline(this, 'Pipeline', {
      pipelineName: 'qrmail',
      crossAccountKeys,
      enableKeyRotation: crossAccountKeys,
      synth: new ShellStep('Synth', {
        input: source,
        commands: ['npm ci', 'npm test', 'npx cdk synth'],
        // cdk.json writes the cloud assembly there, inside the git-ignored dist/ folder.
        primaryOutputDirectory: 'dist/cdk.out',
      }),
      codeBuildDefaults: {
        // Ubuntu standard 7.0 offers Node.js 22, the version the functions run on.
        buildEnvironment: { buildImage: LinuxBuildImage.STANDARD_7_0 },
        partialBuildSpec: BuildSpec.fromObject({ phases: { install: { 'runtime-versions': { nodejs: '22' } } } }),
      },
    });

    for (const config of props.stages) {
      const stage = new QrmailStage(this, stageId(config.stage), { config });
      const tests = new ShellStep(`${stageId(config.stage)}Tests`, { input: source, commands: [STAGE_TEST_COMMAND] });
      const pre: Step[] = [tests];
      if (config.stage === 'prod') {
        const approval = new ManualApprovalStep('PromoteToProd', {
          comment: 'Staging is deployed and the tests passed. Approve to deploy this change to prod.',
        });
        approval.addStepDependency(tests);
        pre.push(approval);
      }
      this.pipeline.addStage(stage, { pre });
      this.stages.push(stage);
    }

    // Builds the CodePipeline resources now, so that the acknowledged findings can name them.
    this.pipeline.buildPipeline();
    acknowledgePipelineFindings(this.pipeline);
  }
}
