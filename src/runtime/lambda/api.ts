import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { handle } from 'hono/aws-lambda';

import { createApp, type AppOptions } from '../../http/app.js';

/** Creates the API Gateway (HTTP API, payload 2.0) handler around the same hono app as the local server. */
export function createApiHandler(
  options: AppOptions,
): (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2> {
  const app = createApp(options);
  return handle(app) as unknown as (
    event: APIGatewayProxyEventV2,
    context: Context,
  ) => Promise<APIGatewayProxyResultV2>;
}
