/** The stylesheet of the web page: one column on phones, form and preview side by side from 48rem. */
export const PAGE_CSS = `*, *::before, *::after { box-sizing: border-box; }
html { font: 100%/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b; background: #f6f6f4; }
body { margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; margin: 0.5rem 0 1rem; }
.layout { display: grid; gap: 1.5rem; grid-template-columns: 1fr; }
@media (min-width: 48rem) { .layout { grid-template-columns: 3fr 2fr; } }
.field { display: flex; flex-direction: column; margin-bottom: 0.9rem; min-width: 0; }
.row { display: flex; flex-wrap: wrap; gap: 0 1rem; align-items: flex-end; }
.row .field { flex: 1 1 9rem; }
label, legend { font-weight: 600; margin-bottom: 0.25rem; }
fieldset { border: 1px solid #c8c8c4; border-radius: 0.5rem; padding: 0.75rem 1rem 0; margin: 0 0 1rem; }
input, select, button, .button { font: inherit; border-radius: 0.4rem; min-height: 2.75rem; }
input, select { width: 100%; padding: 0.5rem 0.6rem; border: 1px solid #8a8a86; background: #fff; color: inherit; }
input[type="color"] { padding: 0.2rem; height: 2.75rem; }
input[aria-invalid="true"], select[aria-invalid="true"] { border-color: #b00020; border-width: 2px; }
:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
.actions { display: flex; flex-wrap: wrap; gap: 0.75rem; }
button, .button { display: inline-flex; align-items: center; justify-content: center; padding: 0 1.2rem;
  border: 2px solid #1a5fb4; cursor: pointer; text-decoration: none; }
button { background: #1a5fb4; color: #fff; }
button:disabled { opacity: 0.6; cursor: progress; }
.button { background: #fff; color: #1a5fb4; }
.button[aria-disabled="true"] { opacity: 0.5; pointer-events: none; }
.error { color: #b00020; margin: 0.25rem 0 0; font-size: 0.95rem; }
#status { min-height: 1.5rem; font-weight: 600; }
#status[data-state="sent"] { color: #1e6b2e; }
#status[data-state="failed"] { color: #b00020; }
.preview { margin: 0; text-align: center; }
.preview img { width: 100%; max-width: 20rem; height: auto; image-rendering: pixelated; background: #fff;
  border: 1px solid #c8c8c4; }
footer { margin-top: 2rem; font-size: 0.9rem; }
a { color: #1a5fb4; }
`;

/** The stylesheet of the API reference at /docs. */
export const DOCS_CSS = `html { font: 100%/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b; }
body { margin: 0; }
main { max-width: 64rem; margin: 0 auto; padding: 1rem; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.9em; }
pre { background: #f3f3f1; padding: 0.75rem; overflow-x: auto; border-radius: 0.4rem; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1rem; display: block; overflow-x: auto; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid #ddd; padding: 0.4rem; }
.operation { border-top: 2px solid #ccc; padding-top: 0.5rem; margin-top: 1.5rem; }
.method { display: inline-block; min-width: 3.5rem; font-weight: 700; color: #1a5fb4; }
a { color: #1a5fb4; }
.drop-zone { border: 2px dashed #8a94a6; border-radius: 8px; padding: 0.75rem; }
.drop-zone.dragging { border-color: #1a56db; background: #eef3ff; }
.hint { margin: 0.25rem 0 0; font-size: 0.875rem; color: #59636e; }
`;
