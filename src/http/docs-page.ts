/**
 * Renders an OpenAPI document as one static HTML page: no script, so it runs under the same
 * Content-Security-Policy as the rest of the site and needs no CDN.
 */

type Json = Record<string, unknown>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const;

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** Turns the Markdown of descriptions into HTML: `code` spans, bullet lists and paragraphs only. */
function markdown(text: string | undefined): string {
  if (text === undefined || text === '') return '';
  const inline = (line: string) => escapeHtml(line).replace(/`([^`]+)`/g, '<code>$1</code>');
  return text
    .split(/\n{2,}/)
    .map((block) => {
      const lines = block.split('\n');
      if (lines.every((line) => line.startsWith('- '))) {
        return `<ul>${lines.map((line) => `<li>${inline(line.slice(2))}</li>`).join('')}</ul>`;
      }
      return `<p>${inline(block)}</p>`;
    })
    .join('\n');
}

function json(value: unknown): string {
  return `<pre><code>${escapeHtml(JSON.stringify(value, null, 2))}</code></pre>`;
}

/** Follows a local `$ref` such as `#/components/responses/Error400`. */
function resolve(document: Json, value: Json): Json {
  const ref = value.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return value;
  let target: unknown = document;
  for (const part of ref.slice(2).split('/')) target = (target as Json)[part];
  return target as Json;
}

function anchor(method: string, path: string): string {
  return `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-');
}

function renderParameters(parameters: Json[]): string {
  if (parameters.length === 0) return '';
  const rows = parameters.map((parameter) => {
    const examples = parameter.examples as Record<string, { value: unknown }> | undefined;
    const example =
      parameter.example ?? (examples === undefined ? undefined : Object.values(examples).map((entry) => entry.value));
    return (
      `<tr><td><code>${escapeHtml(String(parameter.name))}</code>${parameter.required ? ' (required)' : ''}</td>` +
      `<td>${escapeHtml(String(parameter.in))}</td>` +
      `<td><code>${escapeHtml(JSON.stringify(parameter.schema))}</code></td>` +
      `<td>${markdown(parameter.description as string | undefined)}` +
      `${example === undefined ? '' : `<p>Example: <code>${escapeHtml(JSON.stringify(example))}</code></p>`}</td></tr>`
    );
  });
  return (
    '<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Schema</th><th>Description</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

function renderContent(document: Json, content: Json | undefined): string {
  if (content === undefined) return '';
  return Object.entries(content)
    .map(([mediaType, entry]) => {
      const media = entry as Json;
      const schema = media.schema as Json | undefined;
      const ref = typeof schema?.$ref === 'string' ? schema.$ref : undefined;
      const schemaHtml =
        ref === undefined
          ? ''
          : `<p>Schema: <a href="#schema-${escapeHtml(ref.split('/').pop()!)}">${escapeHtml(ref.split('/').pop()!)}</a></p>`;
      const examples = Object.entries((media.examples as Record<string, Json> | undefined) ?? {})
        .map(
          ([name, example]) =>
            `<p>Example <em>${escapeHtml(name)}</em>: ${escapeHtml(String(example.summary ?? ''))}</p>${json(example.value)}`,
        )
        .join('');
      const example = media.example === undefined ? '' : `<p>Example:</p>${json(media.example)}`;
      return `<p><code>${escapeHtml(mediaType)}</code></p>${schemaHtml}${examples}${example}`;
    })
    .join('');
}

function renderOperation(document: Json, path: string, method: string, operation: Json): string {
  const parameters = ((operation.parameters as Json[] | undefined) ?? []).map((parameter) =>
    resolve(document, parameter),
  );
  const body = operation.requestBody as Json | undefined;
  const responses = Object.entries((operation.responses as Record<string, Json>) ?? {}).map(([status, response]) => {
    const resolved = resolve(document, response);
    return (
      `<tr><td><code>${escapeHtml(status)}</code></td><td>${markdown(resolved.description as string)}` +
      `${renderContent(document, resolved.content as Json | undefined)}</td></tr>`
    );
  });
  return `<section class="operation" id="${anchor(method, path)}">
<h3><span class="method">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<p><strong>${escapeHtml(String(operation.summary ?? ''))}</strong></p>
${markdown(operation.description as string | undefined)}
${renderParameters(parameters)}
${body === undefined ? '' : `<h4>Request body</h4>${renderContent(document, body.content as Json)}`}
<h4>Responses</h4>
<table><thead><tr><th>Status</th><th>Description</th></tr></thead><tbody>${responses.join('')}</tbody></table>
</section>`;
}

/** Renders `document` as a complete HTML page that links `stylesheet`. */
export function renderDocsPage(document: Json, stylesheet: string): string {
  const info = document.info as Json;
  const paths = document.paths as Record<string, Json>;
  const operations: { path: string; method: string; operation: Json }[] = [];
  const pathNotes: string[] = [];
  for (const [path, item] of Object.entries(paths)) {
    if (typeof item.description === 'string')
      pathNotes.push(`<p><code>${escapeHtml(path)}</code>: ${markdown(item.description)}</p>`);
    for (const method of METHODS) {
      const operation = item[method] as Json | undefined;
      if (operation !== undefined) operations.push({ path, method, operation });
    }
  }
  const index = operations
    .map(
      ({ path, method, operation }) =>
        `<li><a href="#${anchor(method, path)}"><span class="method">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></a> ${escapeHtml(String(operation.summary ?? ''))}</li>`,
    )
    .join('');
  const schemas = Object.entries(((document.components as Json).schemas as Record<string, unknown>) ?? {})
    .map(
      ([name, schema]) =>
        `<section id="schema-${escapeHtml(name)}"><h3>${escapeHtml(name)}</h3>${json(schema)}</section>`,
    )
    .join('');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(String(info.title))} API reference</title>
<link rel="stylesheet" href="${escapeHtml(stylesheet)}">
</head>
<body>
<main>
<h1>${escapeHtml(String(info.title))} API ${escapeHtml(String(info.version))}</h1>
${markdown(info.description as string)}
<p>The machine-readable document is at <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escapeHtml(String(document.openapi))}).</p>
<nav aria-label="Operations"><h2>Operations</h2><ul>${index}</ul></nav>
${pathNotes.join('')}
<h2>Operations</h2>
${operations.map(({ path, method, operation }) => renderOperation(document, path, method, operation)).join('\n')}
<h2>Schemas</h2>
${schemas}
</main>
</body>
</html>
`;
}
