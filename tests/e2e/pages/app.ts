// Page model of the console shell: open with the token, wait until ready, move between sections, keep screenshots.
import { expect, type Locator, type Page } from '@playwright/test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.resolve(here, '../artifacts');

export type Section =
  'Topology' | 'Checkpoints' | 'Backup' | 'Restore & drills' | 'Jobs' | 'Repository' | 'Settings';

export function consoleUrl(): string {
  const u = process.env.HVBC_E2E_URL;
  if (!u) throw new Error('global setup did not start the console');
  return u;
}

export class ConsoleApp {
  constructor(readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.goto(consoleUrl());
    await expect(this.page.locator('[data-app-state="ready"]')).toBeVisible();
  }

  navButton(section: Section): Locator {
    return this.page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('button', { name: new RegExp(`^${section.replace(/[&]/g, '\\$&')}`) });
  }

  async go(section: Section): Promise<void> {
    await this.navButton(section).click();
    await expect(this.navButton(section)).toHaveAttribute('aria-current', 'page');
  }

  async shot(name: string): Promise<void> {
    await this.page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
  }

  async setTheme(theme: 'dark' | 'light'): Promise<void> {
    const current = await this.page.locator('html').getAttribute('data-theme');
    if (current !== theme)
      await this.page
        .getByRole('button', { name: `Switch to ${theme} theme` })
        .first()
        .click();
    await expect(this.page.locator('html')).toHaveAttribute('data-theme', theme);
  }
}
