import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp-server.js';
import { makeTempDir } from '../support/temp.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let smtp: TestSmtpServer;
let service: ServiceProcess;
let context: BrowserContext;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the page test.`,
    );
  }
  smtp = await startTestSmtpServer({ implicitTls: false, offerStartTls: false, requireAuth: false });
  cleanups.push(() => smtp.close());
  const data = makeTempDir();
  cleanups.push(data.remove);
  service = await startServiceProcess({
    QRMAIL_DATA_DIR: data.path,
    QRMAIL_SMTP_HOST: smtp.host,
    QRMAIL_SMTP_PORT: String(smtp.port),
    QRMAIL_SMTP_TLS: 'none',
    QRMAIL_SMTP_AUTH: 'none',
  });
  cleanups.push(() => service.stop());
  const profile = makeTempDir('qrmail-chromium-');
  cleanups.push(profile.remove);
  context = await chromium.launchPersistentContext(profile.path, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 390, height: 844 },
  });
  cleanups.push(() => context.close());
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Opens the page and records any Content-Security-Policy violation or script error it reports. */
async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${service.url}/`);
  return { page, problems };
}

async function waitForPreview(page: Page): Promise<void> {
  // The callback runs in the browser; this project compiles without DOM types, hence the cast.
  const loaded = () =>
    page.locator('#preview').evaluate((element) => {
      const image = element as unknown as { hidden: boolean; complete: boolean; naturalWidth: number };
      return !image.hidden && image.complete && image.naturalWidth > 0;
    });
  await expect.poll(loaded, { timeout: 10_000 }).toBe(true);
}

describe('web page', () => {
  it('sends a code by email', async () => {
    const { page, problems } = await openPage();

    await page.getByLabel('Link').fill('https://example.com/menu?table=4');
    await page.getByLabel('Email address').fill('diner@example.com');
    await page.getByLabel('Format').selectOption('png');
    await page.getByLabel('Size in pixels').fill('300');
    await page.getByLabel('Error correction').selectOption('Q');
    await waitForPreview(page);
    const naturalWidth = await page
      .locator('#preview')
      .evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth);
    expect(naturalWidth).toBeGreaterThan(200);
    expect(naturalWidth).toBeLessThanOrEqual(300);
    expect(await page.getByRole('link', { name: 'Download' }).getAttribute('aria-disabled')).toBeNull();

    await page.getByRole('button', { name: 'Email it to me' }).click();
    const messages = await smtp.waitForMessages(1, 20_000);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toMatch(/^sent/);

    expect(messages[0]!.envelopeTo).toEqual(['diner@example.com']);
    expect(problems).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'page.png'), fullPage: true });
    await page.close();
  });

  it('links the code to an uploaded image', async () => {
    const { page, problems } = await openPage();
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#2e7d32' } })
      .png()
      .toBuffer();

    await page
      .getByLabel('Or upload an image')
      .setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: png });
    await expect
      .poll(() => page.getByLabel('Link').inputValue(), { timeout: 10_000 })
      .toMatch(/\/i\/[A-Za-z0-9_-]{22}$/);
    await waitForPreview(page);
    const link = await page.getByLabel('Link').inputValue();
    const served = await fetch(link);

    expect(served.status).toBe(200);
    const pixels = (image: Buffer) => sharp(image).raw().toBuffer();
    expect(await pixels(Buffer.from(await served.arrayBuffer()))).toEqual(await pixels(png));
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a bad upload inline', async () => {
    const { page } = await openPage();

    await page.getByLabel('Or upload an image').setInputFiles({
      name: 'fake.png',
      mimeType: 'image/png',
      buffer: Buffer.from('not an image at all'),
    });
    const error = page.locator('#image-error');
    await error.waitFor({ state: 'visible' });

    expect(await error.textContent()).toMatch(/PNG, JPEG, GIF or WebP/);
    await page.close();
  });

  it('shows bad email inline', async () => {
    const { page } = await openPage();

    await page.getByLabel('Link').fill('https://example.com/');
    await page.getByLabel('Email address').fill('not an address');
    await page.getByRole('button', { name: 'Email it to me' }).click();
    const error = page.locator('#email-error');
    await error.waitFor({ state: 'visible' });

    expect(await error.textContent()).toMatch(/email/i);
    expect(await page.getByLabel('Email address').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#url-error').isVisible()).toBe(false);
    await page.close();
  });

  it('shows bad colours inline', async () => {
    const { page } = await openPage();

    await page.getByLabel('Link').fill('https://example.com/');
    await page.getByLabel('Module colour').fill('#eeeeee');
    const error = page.locator('#dark-error');
    await error.waitFor({ state: 'visible' });

    expect(await error.textContent()).toContain('contrast');
    await page.close();
  });

  it('downloads the previewed image', async () => {
    const { page } = await openPage();

    await page.getByLabel('Link').fill('https://example.com/');
    await page.getByLabel('Format').selectOption('svg');
    await waitForPreview(page);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download' }).click(),
    ]);

    expect(download.suggestedFilename()).toBe('qrcode.svg');
    await page.close();
  });

  it('sets a self-only policy', async () => {
    const response = await fetch(`${service.url}/`);
    const policy = response.headers.get('content-security-policy') ?? '';

    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
  });

  it('fits a phone screen', async () => {
    const { page } = await openPage();

    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');

    expect(overflow).toBeLessThanOrEqual(0);
    await page.close();
  });
});
