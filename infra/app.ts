/**
 * The CDK app (`app` in cdk.json). `npx cdk synth -c stage=dev` synthesizes the dev stage alone;
 * without `-c stage=...` it synthesizes the pipeline stack, which deploys dev, staging and prod.
 */
import { App } from 'aws-cdk-lib';

import { buildQrmailApp } from './build.js';

const app = new App();
buildQrmailApp(app);
app.synth();
