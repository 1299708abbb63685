import type { App } from 'aws-cdk-lib';

import {
  CONFIG_DIR,
  loadPipelineConfig,
  loadStageConfig,
  parseStageName,
  STAGE_NAMES,
  type StageName,
} from './config.js';
import { addNagChecks } from './nag.js';
import { PipelineStack } from './pipeline.js';
import { QrmailStage, stageId } from './stage.js';

/**
 * Adds qrmail to `app`. With the context value `stage` (`-c stage=dev`) it adds that stage alone,
 * and without it the pipeline stack, which contains all stages. Either way the AWS Solutions
 * checks of cdk-nag run at synthesis.
 */
export function buildQrmailApp(app: App, configDir: string = CONFIG_DIR): QrmailStage | PipelineStack {
  const requested: unknown = app.node.tryGetContext('stage');
  const root =
    requested === undefined
      ? new PipelineStack(app, 'QrmailPipeline', {
          pipeline: loadPipelineConfig(configDir),
          stages: STAGE_NAMES.map((stage) => loadStageConfig(stage, configDir)),
        })
      : createStage(app, parseStageName(requested), configDir);
  addNagChecks(app);
  return root;
}

function createStage(app: App, stage: StageName, configDir: string): QrmailStage {
  return new QrmailStage(app, stageId(stage), { config: loadStageConfig(stage, configDir) });
}
