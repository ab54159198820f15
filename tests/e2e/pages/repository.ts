// Page model of the repository view: figures, maintenance tasks (check, verify, gc), points per VM.
import { expect, type Locator, type Page } from '@playwright/test';

export class RepositoryPage {
  constructor(readonly page: Page) {}

  get facts(): Locator {
    return this.page.getByTestId('repo-facts');
  }
  get maintenance(): Locator {
    return this.page.getByRole('region', { name: 'Maintenance' });
  }

  async runMaintenance(
    button: 'Check structure' | 'Verify all data' | 'Garbage collection',
    resultId: 'check-result' | 'gc-result',
  ): Promise<Locator> {
    await this.maintenance.getByRole('button', { name: button }).click();
    const result = this.maintenance.getByTestId(resultId);
    await expect(result).toBeVisible({ timeout: 60_000 });
    return result;
  }
}
