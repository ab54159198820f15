// Page model of the jobs view: task tables, a task's detail with its Hyper-V events, and the history charts.
import { expect, type Locator, type Page } from '@playwright/test';

export class JobsPage {
  constructor(readonly page: Page) {}

  get charts(): Locator {
    return this.page.getByTestId('history-charts');
  }
  get detail(): Locator {
    return this.page.getByTestId('jobs-task-detail');
  }
  chart(name: 'duration' | 'bytes' | 'change' | 'dedupe'): Locator {
    return this.page.getByTestId(`chart-${name}`);
  }

  async openTask(title: string | RegExp): Promise<void> {
    await this.page
      .getByRole('region', { name: 'Finished in this session' })
      .getByRole('button', { name: title })
      .first()
      .click();
    await expect(this.detail).toBeVisible();
  }
}
