/**
 * The script of the web page, served as /assets/page.js. It is plain browser JavaScript in a string,
 * so the Lambda bundle carries it and the page's Content-Security-Policy can allow 'self' scripts only.
 *
 * It previews the code from GET /qrcode as the form changes, points the Download link at that image,
 * posts the form to POST /images/qrcode, and polls the request's status until it is sent or failed.
 * An API error goes next to the field named by `error.field`, or under the buttons when there is none.
 */
export const PAGE_SCRIPT = `const form = document.getElementById('qr-form');
const preview = document.getElementById('preview');
const caption = document.getElementById('preview-caption');
const download = document.getElementById('download');
const send = document.getElementById('send');
const status = document.getElementById('status');

// The API's field names, mapped to the input that shows their errors.
const FIELD_INPUTS = { url: 'url', data: 'url', email: 'email', format: 'format', size: 'size', scale: 'size',
  ecc: 'ecc', dark: 'dark', light: 'light', file: 'image' };
const POLL_INTERVAL_MS = 1000;
const POLL_LIMIT_MS = 10 * 60 * 1000;

let previewUrl;
let previewGeneration = 0;
let previewTimer;

function renderOptions() {
  const options = { format: form.format.value, ecc: form.ecc.value, dark: form.dark.value, light: form.light.value };
  const size = form.size.value.trim();
  if (size !== '') options.size = /^\\d+$/.test(size) ? Number(size) : size;
  return options;
}

function clearErrors(scope) {
  for (const element of form.querySelectorAll('.error')) {
    const input = element.id === 'form-error' ? undefined : document.getElementById(element.id.replace(/-error$/, ''));
    if (scope === 'preview' && (input === undefined || input.id === 'email')) continue;
    element.hidden = true;
    element.textContent = '';
    if (input) input.removeAttribute('aria-invalid');
  }
}

function showError(error) {
  const inputId = FIELD_INPUTS[error.field];
  const target = document.getElementById(inputId === undefined ? 'form-error' : inputId + '-error');
  target.textContent = error.message;
  target.hidden = false;
  if (inputId !== undefined) document.getElementById(inputId).setAttribute('aria-invalid', 'true');
}

async function readError(response) {
  try {
    const body = await response.json();
    if (body && body.error && typeof body.error.message === 'string') return body.error;
  } catch {
    // Not JSON: fall through to a generic message.
  }
  return { code: 'http_' + response.status, message: 'The server returned HTTP ' + response.status + '. Try again.' };
}

function setDownload(url, format) {
  if (url === undefined) {
    download.setAttribute('aria-disabled', 'true');
    download.removeAttribute('href');
    return;
  }
  download.href = url;
  download.download = 'qrcode.' + format;
  download.removeAttribute('aria-disabled');
}

async function updatePreview() {
  const generation = ++previewGeneration;
  clearErrors('preview');
  const data = form.url.value.trim();
  if (data === '') {
    preview.hidden = true;
    caption.textContent = 'Type a link to see its code.';
    setDownload(undefined);
    return;
  }

  const options = renderOptions();
  const query = new URLSearchParams({ data, ...Object.fromEntries(Object.entries(options).map(([k, v]) => [k, String(v)])) });
  let response;
  try {
    response = await fetch('/qrcode?' + query.toString());
  } catch {
    if (generation === previewGeneration) caption.textContent = 'The preview failed: the server cannot be reached.';
    return;
  }
  if (generation !== previewGeneration) return;

  if (!response.ok) {
    showError(await readError(response));
    preview.hidden = true;
    caption.textContent = 'No preview until the error above is fixed.';
    setDownload(undefined);
    return;
  }

  const blob = await response.blob();
  if (generation !== previewGeneration) return;
  if (previewUrl !== undefined) URL.revokeObjectURL(previewUrl);
  previewUrl = URL.createObjectURL(blob);
  preview.src = previewUrl;
  preview.hidden = false;
  caption.textContent = 'Preview of ' + data;
  setDownload(previewUrl, options.format);
}

function schedulePreview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(updatePreview, 250);
}

function setStatus(text, state) {
  status.textContent = text;
  status.dataset.state = state;
}

async function pollStatus(id) {
  const deadline = Date.now() + POLL_LIMIT_MS;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    let response;
    try {
      response = await fetch('/images/qrcode/' + encodeURIComponent(id), { cache: 'no-store' });
    } catch {
      continue;
    }
    if (!response.ok) {
      setStatus('Checking the status failed: ' + (await readError(response)).message, 'failed');
      return;
    }
    const body = await response.json();
    if (body.status === 'sent') {
      setStatus('sent: the email is on its way to ' + form.email.value.trim() + '.', 'sent');
      return;
    }
    if (body.status === 'failed') {
      setStatus('failed: ' + (body.lastError || 'the email could not be delivered.'), 'failed');
      return;
    }
    setStatus('queued: sending the email (attempt ' + (body.attempts + 1) + ')...', 'queued');
  }
  setStatus('Still queued after 10 minutes; the server keeps trying.', 'queued');
}

async function submit(event) {
  event.preventDefault();
  clearErrors();
  setStatus('', '');
  send.disabled = true;
  try {
    const body = { url: form.url.value.trim(), email: form.email.value.trim(), ...renderOptions() };
    let response;
    try {
      response = await fetch('/images/qrcode', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch {
      showError({ message: 'The server cannot be reached. Check the connection and try again.' });
      return;
    }
    if (response.status !== 202) {
      const error = await readError(response);
      showError(error);
      const input = FIELD_INPUTS[error.field];
      if (input !== undefined) document.getElementById(input).focus();
      return;
    }
    const accepted = await response.json();
    setStatus('queued: sending the email...', 'queued');
    await pollStatus(accepted.id);
  } finally {
    send.disabled = false;
  }
}

form.addEventListener('input', (event) => {
  if (event.target.id !== 'email') schedulePreview();
});
form.addEventListener('change', (event) => {
  if (event.target.id !== 'email') schedulePreview();
});
form.addEventListener('submit', submit);

// An uploaded image is stored first; its short link then fills the Link field like a typed URL.
const imageInput = document.getElementById('image');
const dropZone = document.getElementById('drop-zone');
async function uploadImage(file) {
  clearErrors();
  const body = new FormData();
  body.set('file', file, file.name);
  setStatus('Uploading ' + file.name + '...', 'pending');
  let response;
  try {
    response = await fetch('/images', { method: 'POST', body });
  } catch {
    setStatus('The upload failed: the service did not answer.', 'error');
    return;
  }
  if (response.status !== 201) {
    const error = await readError(response);
    showError({ ...error, field: error.field ?? 'file' });
    setStatus('', '');
    return;
  }
  const { link } = await response.json();
  document.getElementById('url').value = link;
  setStatus('Uploaded. The code links to the image.', '');
  schedulePreview();
}
imageInput.addEventListener('change', () => {
  if (imageInput.files && imageInput.files[0]) uploadImage(imageInput.files[0]);
});
dropZone.addEventListener('dragover', (event) => {
  event.preventDefault();
  dropZone.classList.add('dragging');
});
dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dragging'));
dropZone.addEventListener('drop', (event) => {
  event.preventDefault();
  dropZone.classList.remove('dragging');
  const file = event.dataTransfer && event.dataTransfer.files[0];
  if (file) uploadImage(file);
});
updatePreview();
`;
