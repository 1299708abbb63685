import { Stage, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

import type { StageConfig, StageName } from './config.js';
import { QrmailStack } from './stack.js';

export interface QrmailStageProps extends StageProps {
  config: StageConfig;
}

/** Construct id of a stage: `Dev`, `Staging` or `Prod`. Stack paths such as `Dev/Qrmail` start with it. */
export function stageId(stage: StageName): string {
  return stage.charAt(0).toUpperCase() + stage.slice(1);
}

/** One deployment environment: the qrmail stack in the stage's account and region. */
export class QrmailStage extends Stage {
  readonly config: StageConfig;
  readonly stack: QrmailStack;

  constructor(scope: Construct, id: string, props: QrmailStageProps) {
    const { config, ...stageProps } = props;
    super(scope, id, { ...stageProps, env: config.env });
    this.config = config;
    this.stack = new QrmailStack(this, 'Qrmail', { config, stackName: `qrmail-${config.stage}` });
  }
}
