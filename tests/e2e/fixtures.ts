// Test fixtures: every test gets the console opened and fails on uncaught page errors.
import { test as base, expect } from '@playwright/test';
import { ConsoleApp } from './pages/app';

export const test = base.extend<{ app: ConsoleApp }>({
  app: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`${e.message}\n${e.stack ?? ''}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /crashed/.test(m.text())) errors.push(m.text());
    });
    const app = new ConsoleApp(page);
    await app.open();
    await use(app);
    expect(errors, 'uncaught errors in the page').toEqual([]);
  },
});

export { expect };
