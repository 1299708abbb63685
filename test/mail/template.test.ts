import { describe, expect, it } from 'vitest';

import { READY_SUBJECT, escapeHtml, renderReadyHtml, renderReadyText } from '../../src/mail/template.js';

describe('escapeHtml', () => {
  const cases: { text: string; escaped: string }[] = [
    { text: 'plain text', escaped: 'plain text' },
    { text: '', escaped: '' },
    { text: '&', escaped: '&amp;' },
    { text: '&amp;', escaped: '&amp;amp;' },
    { text: '<script>', escaped: '&lt;script&gt;' },
    { text: '"double"', escaped: '&quot;double&quot;' },
    { text: "'single'", escaped: '&#39;single&#39;' },
    { text: 'a=1&b=<2>', escaped: 'a=1&amp;b=&lt;2&gt;' },
    { text: '"><img src=x onerror=alert(1)>', escaped: '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;' },
    { text: 'Zürich 你好 😀', escaped: 'Zürich 你好 😀' },
  ];

  for (const { text, escaped } of cases) {
    it(`escapeHtml ${JSON.stringify(text)}`, () => {
      expect(escapeHtml(text)).toBe(escaped);
    });
  }
});

describe('renderReadyHtml', () => {
  const content = {
    url: 'https://example.com/?a=1&b=2',
    imageCid: 'qrcode-id@qrmail',
    imageSize: 300,
    requestId: 'id',
  };

  it('renderReadyHtml links web URL', () => {
    expect(renderReadyHtml(content)).toContain('<a href="https://example.com/?a=1&amp;b=2"');
  });

  it('renderReadyHtml shows subject', () => {
    expect(renderReadyHtml(content)).toContain(`<title>${READY_SUBJECT}</title>`);
  });

  it('renderReadyHtml no link otherwise', () => {
    const html = renderReadyHtml({ ...content, url: 'javascript:alert(1)' });

    expect(html).not.toContain('<a href');
    expect(html).toContain('javascript:alert(1)');
  });

  it('renderReadyHtml sizes the image', () => {
    expect(renderReadyHtml(content)).toContain('width="300" height="300" style="width:300px;max-width:100%;');
  });

  it('renderReadyText keeps URL verbatim', () => {
    expect(renderReadyText(content)).toContain('\nhttps://example.com/?a=1&b=2\n');
  });
});
