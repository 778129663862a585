import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/summary-reporter.ts'],
    // One real S3 server (Ceph RGW on 127.0.0.1) for the whole run: test/servers/.
    globalSetup: ['./test/servers/global-setup.ts'],
  },
});
