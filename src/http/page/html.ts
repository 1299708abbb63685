// The web form at GET /. It is a TypeScript string module so that the Lambda bundle carries it too.
// Every control has a <label>; each field's error paragraph is tied to it with aria-describedby.

/** The HTML of the web page. It loads /assets/page.css and /assets/page.js and nothing else. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>qrmail: a QR code for your link</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/page.css">
<script type="module" src="/assets/page.js"></script>
</head>
<body>
<main>
<h1>A QR code for your link</h1>
<form id="qr-form" novalidate>
  <div class="layout">
    <div class="fields">
      <div class="field">
        <label for="url">Link</label>
        <input id="url" name="url" type="url" inputmode="url" autocomplete="url" required
          placeholder="https://example.com/" aria-describedby="url-error">
        <p class="error" id="url-error" role="alert" hidden></p>
      </div>
      <div class="field">
        <label for="image">Or upload an image</label>
        <div class="drop-zone" id="drop-zone">
          <input id="image" name="image" type="file" accept="image/png,image/jpeg,image/gif,image/webp"
            aria-describedby="image-hint image-error">
          <p class="hint" id="image-hint">Choose a file or drop it here. The code then links to the image.</p>
        </div>
        <p class="error" id="image-error" role="alert" hidden></p>
      </div>
      <div class="field">
        <label for="email">Email address</label>
        <input id="email" name="email" type="email" autocomplete="email" placeholder="you@example.com"
          aria-describedby="email-error">
        <p class="error" id="email-error" role="alert" hidden></p>
      </div>
      <fieldset>
        <legend>Appearance</legend>
        <div class="row">
          <div class="field">
            <label for="format">Format</label>
            <select id="format" name="format" aria-describedby="format-error">
              <option value="png" selected>PNG</option>
              <option value="svg">SVG</option>
            </select>
            <p class="error" id="format-error" role="alert" hidden></p>
          </div>
          <div class="field">
            <label for="size">Size in pixels</label>
            <input id="size" name="size" type="number" inputmode="numeric" min="21" max="4096" step="1" value="400"
              aria-describedby="size-error">
            <p class="error" id="size-error" role="alert" hidden></p>
          </div>
          <div class="field">
            <label for="ecc">Error correction</label>
            <select id="ecc" name="ecc" aria-describedby="ecc-error">
              <option value="L">L: 7% of the code can be damaged</option>
              <option value="M" selected>M: 15%</option>
              <option value="Q">Q: 25%</option>
              <option value="H">H: 30%</option>
            </select>
            <p class="error" id="ecc-error" role="alert" hidden></p>
          </div>
        </div>
        <div class="row">
          <div class="field">
            <label for="dark">Module colour</label>
            <input id="dark" name="dark" type="color" value="#000000" aria-describedby="dark-error">
            <p class="error" id="dark-error" role="alert" hidden></p>
          </div>
          <div class="field">
            <label for="light">Background colour</label>
            <input id="light" name="light" type="color" value="#ffffff" aria-describedby="light-error">
            <p class="error" id="light-error" role="alert" hidden></p>
          </div>
        </div>
      </fieldset>
      <div class="actions">
        <a id="download" class="button" href="#" download="qrcode.png" aria-disabled="true">Download</a>
        <button id="send" type="submit">Email it to me</button>
      </div>
      <p class="error" id="form-error" role="alert" hidden></p>
      <p id="status" role="status" aria-live="polite"></p>
    </div>
    <figure class="preview">
      <img id="preview" alt="Preview of the QR code" width="300" height="300" hidden>
      <figcaption id="preview-caption">Type a link to see its code.</figcaption>
    </figure>
  </div>
</form>
<footer><a href="/docs">API reference</a></footer>
</main>
</body>
</html>
`;

/** The page's icon: three finder patterns, as on a QR code. */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" shape-rendering="crispEdges">
<path fill="#000" d="M0 0h7v7H0zM9 0h7v7H9zM0 9h7v7H0zM9 9h3v3H9zM13 13h3v3h-3z"/>
<path fill="#fff" d="M1 1h5v5H1zM10 1h5v5h-5zM1 10h5v5H1z"/>
<path fill="#000" d="M2 2h3v3H2zM11 2h3v3h-3zM2 11h3v3H2z"/>
</svg>
`;
