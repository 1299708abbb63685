import type { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { acknowledge } from './nag.js';
import { Construct } from 'constructs';

import type { StageConfig } from './config.js';

/**
 * One JSON line per request, from the context variables of HTTP APIs. It contains no request body
 * or query string, so neither the URL nor the email address of a request is logged.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    method: '$context.httpMethod',
    path: '$context.path',
    status: '$context.status',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
  }),
);

export interface PublicApiProps {
  config: StageConfig;
  handler: IFunction;
  removalPolicy: RemovalPolicy;
}

/**
 * The HTTP API in front of the API function. One `$default` route sends every request to the
 * function, whose hono app handles the routes and returns 404 and 405 itself.
 */
export class PublicApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: PublicApiProps) {
    super(scope, id);
    const { config } = props;

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `qrmail-${config.stage}`,
      description: 'qrmail: turns a URL into a QR code and emails it',
      defaultIntegration: new HttpLambdaIntegration('ApiIntegration', props.handler),
      createDefaultStage: false,
    });
    acknowledge(
      this.httpApi,
      'AwsSolutions-APIG4',
      'The API is public by design: anyone may request a QR code for an email address. The function validates each request and the stage throttles them.',
    );

    const accessLogGroup = new LogGroup(this, 'AccessLogGroup', {
      retention: config.logging.retentionDays,
      removalPolicy: props.removalPolicy,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.api.throttlingRateLimit, burstLimit: config.api.throttlingBurstLimit },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogGroup), format: ACCESS_LOG_FORMAT },
    });
  }
}
