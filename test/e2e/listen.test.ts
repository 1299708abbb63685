import { afterEach, describe, expect, it } from 'vitest';

import { startLocalService, type LocalService } from '../support/local-service.js';
import { makeTempDir } from '../support/temp.js';

const services: LocalService[] = [];
afterEach(async () => {
  for (const service of services.splice(0).reverse()) await service.dispose();
});

describe('service listen', () => {
  it('names PORT when the port is in use', async () => {
    const first = await startLocalService();
    services.push(first);
    const port = new URL(first.url).port;
    const second = makeTempDir();

    await expect(startLocalService({ PORT: port }, { dataDir: second.path }).finally(second.remove)).rejects.toThrow(
      `port ${port} on 127.0.0.1 is in use by another program: stop it, or set PORT to a free port`,
    );
  });
});
