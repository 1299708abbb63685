/** A small client of a running qrmail service, for `qrmail send` and `qrmail batch`. */

export const DEFAULT_SERVER = 'http://127.0.0.1:3000';

/** An error the service returned, or a failure to reach it. `code` is the API's error code or `unreachable`. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  readonly code: string;
  readonly field: string | undefined;

  constructor(code: string, message: string, field?: string) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

export interface RequestStatus {
  id: string;
  status: 'queued' | 'sent' | 'failed';
  attempts: number;
  lastError: string | null;
}

/** Returns the server URL without trailing slashes, or throws when it is not an http(s) URL. */
export function normalizeServer(server: string): string {
  let parsed: URL;
  try {
    parsed = new URL(server);
  } catch {
    throw new ServiceError(
      'invalid_server',
      `--server ${JSON.stringify(server)} is not a URL such as ${DEFAULT_SERVER}.`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ServiceError('invalid_server', `--server must be an http or https URL, got ${JSON.stringify(server)}.`);
  }
  return server.replace(/\/+$/, '');
}

async function call(server: string, path: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(`${server}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new ServiceError(
      'unreachable',
      `Cannot reach the qrmail service at ${server} (${cause}). Start it with "qrmail serve" or pass --server.`,
    );
  }
}

async function errorOf(response: Response): Promise<ServiceError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; field?: string } };
    if (typeof body.error?.message === 'string') {
      return new ServiceError(body.error.code ?? `http_${response.status}`, body.error.message, body.error.field);
    }
  } catch {
    // Not the API's JSON error body: report the status below.
  }
  return new ServiceError(
    `http_${response.status}`,
    `The service returned HTTP ${response.status}: ${text.slice(0, 200)}`,
  );
}

/** Posts a QR code request; returns its id. Throws a `ServiceError` for a rejected request. */
export async function postQrRequest(server: string, body: Record<string, unknown>): Promise<string> {
  const response = await call(server, '/images/qrcode', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 202) throw await errorOf(response);
  return ((await response.json()) as { id: string }).id;
}

/**
 * Uploads an image file with POST /images. With `fields.email` the service also emails a code of
 * its short link and the result has the request id; without one it only stores the image.
 */
export async function uploadImage(
  server: string,
  file: { name: string; bytes: Uint8Array; type: string | undefined },
  fields: Record<string, string>,
): Promise<{ link: string; id: string | undefined }> {
  const form = new FormData();
  form.set('file', new Blob([file.bytes], file.type ? { type: file.type } : {}), file.name);
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  const response = await call(server, '/images', { method: 'POST', body: form });
  if (response.status !== 201 && response.status !== 202) throw await errorOf(response);
  const body = (await response.json()) as { link: string; id?: string };
  return { link: body.link, id: body.id };
}

/** Guesses an image's content type from its file name; the service checks the bytes anyway. */
export function imageTypeOf(path: string): string | undefined {
  const extension = path.toLowerCase().split('.').pop();
  const types: Record<string, string> = {
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    gif: 'image/gif',
    webp: 'image/webp',
  };
  return extension === undefined ? undefined : types[extension];
}

/** Fetches the status of request `id`. */
export async function getStatus(server: string, id: string): Promise<RequestStatus> {
  const response = await call(server, `/images/qrcode/${encodeURIComponent(id)}`);
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as RequestStatus;
}

/** Polls request `id` every `intervalMs` until it is sent or failed, or throws after `timeoutMs`. */
export async function waitForFinal(
  server: string,
  id: string,
  { timeoutMs, intervalMs = 500 }: { timeoutMs: number; intervalMs?: number },
): Promise<RequestStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await getStatus(server, id);
    if (status.status !== 'queued') return status;
    if (Date.now() >= deadline) {
      throw new ServiceError(
        'timed_out',
        `Request ${id} is still queued after ${Math.round(timeoutMs / 1000)} seconds (${status.attempts} attempts` +
          `${status.lastError ? `, last error: ${status.lastError}` : ''}). The service keeps trying.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
