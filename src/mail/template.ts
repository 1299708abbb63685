/**
 * The email's HTML and text bodies. The template lives in code, not in a file beside it,
 * so a bundled Lambda handler carries it.
 */

/** Content shown in the HTML and text bodies. */
export interface ReadyMailContent {
  url: string;
  /** Content-ID of the inline QR code image. */
  imageCid: string;
  /** Width and height at which the HTML body shows the code, in CSS pixels. */
  imageSize: number;
  requestId: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an HTML element or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
}

/** The subject line of every "ready" email. */
export const READY_SUBJECT = 'Your QR code is ready';

/** Renders the HTML body. Only http and https URLs, the only ones the API accepts, become links. */
export function renderReadyHtml(content: ReadyMailContent): string {
  const url = escapeHtml(content.url);
  const isWebLink = /^https?:\/\//i.test(content.url);
  const shownUrl = isWebLink ? `<a href="${url}" style="color:#1a56db;word-break:break-all">${url}</a>` : url;
  const size = Math.round(content.imageSize);

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${READY_SUBJECT}</title>
</head>
<body style="margin:0;padding:24px;background:#f4f5f7;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2328">
<div style="max-width:600px;margin:0 auto;padding:24px;background:#ffffff;border-radius:8px">
<h1 style="margin:0 0 16px;font-size:22px">${READY_SUBJECT}</h1>
<p style="margin:0 0 16px;line-height:1.5">Scan this code to open:<br>${shownUrl}</p>
<p style="margin:0 0 16px;text-align:center"><img src="cid:${escapeHtml(content.imageCid)}" alt="QR code for the link above" width="${size}" height="${size}" style="width:${size}px;max-width:100%;height:auto;image-rendering:pixelated"></p>
<p style="margin:0;font-size:13px;color:#59636e;line-height:1.5">The code is also attached as a PNG file. Request ${escapeHtml(content.requestId)}.</p>
</div>
</body>
</html>
`;
}

/** Renders the plain-text alternative with the same content. */
export function renderReadyText(content: ReadyMailContent): string {
  return `${READY_SUBJECT}

Scan the attached code to open:
${content.url}

The code is attached as a PNG file. Request ${content.requestId}.
`;
}
