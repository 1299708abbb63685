/**
 * cdk-nag (version 3) checks and the acknowledged findings, each with its reason.
 *
 * cdk-nag 3 runs as a CDK policy validation plugin after synthesis. Synthesis fails on a finding
 * of level error unless `Validations.of(construct).acknowledge` recorded it on the resource or an
 * ancestor. An IAM5 (wildcard) finding is acknowledged by its exact id, such as
 * `AwsSolutions-IAM5[Action::s3:GetObject*]`, because cdk-nag 3 matches no prefix or pattern.
 */
import { Stack, Validations, type App } from 'aws-cdk-lib';
import { CfnProject } from 'aws-cdk-lib/aws-codebuild';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { CodePipeline } from 'aws-cdk-lib/pipelines';
import { AwsSolutionsChecks } from 'cdk-nag';
// cdk-nag renders references in IAM5 finding ids with this function, which its index does not export.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/** Registers the AWS Solutions rules on the app. They check every stack, including those inside stages. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}

/** Records that the finding `id` on `scope` and its children is accepted, and why. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** Returns the id of the IAM5 finding for a wildcard action, such as `s3:GetObject*`. */
export function wildcardAction(action: string): string {
  return `AwsSolutions-IAM5[Action::${action}]`;
}

/**
 * Returns the id of the IAM5 finding for a wildcard resource. Tokens in `resource` are rendered as
 * cdk-nag renders them in the finding, such as `<LogicalId.Arn>` for an ARN attribute.
 */
export function wildcardResource(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resource))}]`;
}

/**
 * Acknowledges the wildcards that `grantRead` (and `grantPut` when `put` is set) on the `objects`
 * of `bucket` put into the default policy of `role`.
 */
export function acknowledgeObjectGrants(role: IRole, bucket: IBucket, objects: string, put: boolean): void {
  const scoped = `The grant is scoped to the ${objects} objects of the code bucket of this stage.`;
  acknowledge(
    role,
    wildcardAction('s3:GetObject*'),
    `${scoped} GetObject* includes GetObjectVersion, which the mailer uses.`,
  );
  acknowledge(role, wildcardAction('s3:GetBucket*'), `${scoped} Read access includes the bucket's own configuration.`);
  acknowledge(
    role,
    wildcardAction('s3:List*'),
    `${scoped} ListBucket makes S3 return NoSuchKey (404) for a missing code instead of AccessDenied.`,
  );
  if (put) {
    acknowledge(
      role,
      wildcardAction('s3:Abort*'),
      `${scoped} Abort* (AbortMultipartUpload) can only cancel an upload of such an object.`,
    );
  }
  acknowledge(
    role,
    wildcardResource(role, bucket.arnForObjects(objects)),
    `${scoped} Object keys are generated per request, so the grant names their prefix.`,
  );
}

/** Acknowledges the findings on the custom resources that CDK adds to a stage's stack. */
export function acknowledgeStageCustomResources(stack: Stack): void {
  for (const child of stack.node.children) {
    if (child.node.id.startsWith('BucketNotificationsHandler')) {
      acknowledge(
        child,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'CDK creates this function to configure the bucket notification during deployment, and it runs only then. The managed policy lets it write its logs.',
      );
    }
  }
}

/** Acknowledges the findings on the resources that CDK Pipelines creates for `pipeline`. */
export function acknowledgePipelineFindings(pipeline: CodePipeline): void {
  const artifactBucket = pipeline.pipeline.artifactBucket;
  const stack = Stack.of(pipeline);
  const artifactReason = 'CDK Pipelines grants each pipeline role access to the artifacts of this pipeline only';

  acknowledge(
    artifactBucket,
    'AwsSolutions-S1',
    'The artifact bucket contains only the source and build artifacts of this pipeline. CodePipeline and CodeBuild record each run that reads or writes them.',
  );
  for (const action of ['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*']) {
    acknowledge(pipeline, wildcardAction(action), `${artifactReason}: the objects of its artifact bucket.`);
  }
  acknowledge(
    pipeline,
    wildcardResource(pipeline, artifactBucket.arnForObjects('*')),
    `${artifactReason}: artifact keys are generated per run.`,
  );
  for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
    acknowledge(pipeline, wildcardAction(action), `${artifactReason}: its artifact key, which encrypts the artifacts.`);
  }

  // Every CodeBuild project may write to its own log group and report groups, whose stream and
  // group names CodeBuild generates per build.
  const codeBuildReason = 'CodeBuild names the log streams and report groups of a project per build';
  for (const project of findAll(pipeline, CfnProject)) {
    acknowledge(
      pipeline,
      wildcardResource(pipeline, `${arnPrefix(stack, 'logs')}:log-group:/aws/codebuild/${project.ref}:*`),
      `${codeBuildReason}, and the grant covers the log group of this project only.`,
    );
    acknowledge(
      pipeline,
      wildcardResource(pipeline, `${arnPrefix(stack, 'codebuild')}:report-group/${project.ref}-*`),
      `${codeBuildReason}, and the grant covers the report groups of this project only.`,
    );
  }

  // The asset and self-mutation projects run the CDK CLI, which assumes the bootstrap roles.
  const cliReason =
    'The asset publishing and self-mutation projects run the CDK CLI, which assumes the cdk bootstrap roles (deploy, file publishing, lookup) of each target account and reads their names from the bootstrap stack';
  acknowledge(pipeline, wildcardResource(pipeline, '*'), `${cliReason}.`);
  acknowledge(pipeline, wildcardResource(pipeline, `arn:*:iam::${stack.account}:role/*`), `${cliReason}.`);
  acknowledge(
    pipeline,
    wildcardResource(pipeline, `${arnPrefix(stack, 'logs')}:log-group:/aws/codebuild/*`),
    `${codeBuildReason}, and one asset role serves the projects of all assets.`,
  );
  acknowledge(
    pipeline,
    wildcardResource(pipeline, `${arnPrefix(stack, 'codebuild')}:report-group/*`),
    `${codeBuildReason}, and one asset role serves the projects of all assets.`,
  );
}

/** `arn:<partition>:<service>:<region>:<account>` of the stack, as IAM grants write it. */
function arnPrefix(stack: Stack, service: string): string {
  return `arn:${stack.partition}:${service}:${stack.region}:${stack.account}`;
}

function findAll<T>(scope: IConstruct, type: abstract new (...args: never[]) => T): T[] {
  return scope.node.findAll().filter((node): node is IConstruct & T => node instanceof type);
}
