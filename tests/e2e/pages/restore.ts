// Page model of Restore & drills: VM list, point timeline, restore form and result, drill run, report and history.
import { expect, type Locator, type Page } from '@playwright/test';

export class RestorePage {
  constructor(readonly page: Page) {}

  get points(): Locator {
    return this.page.getByRole('radiogroup', { name: /Restore points/ });
  }
  get drillOutcome(): Locator {
    return this.page.getByTestId('drill-outcome');
  }

  async pickVm(name: string): Promise<void> {
    await this.page
      .getByRole('navigation', { name: 'VMs with restore points' })
      .getByRole('button', { name: new RegExp(`^${name}`) })
      .click();
    await expect(
      this.page.getByRole('heading', { name: `Restore points of ${name}` }),
    ).toBeVisible();
  }

  async restoreToSandbox(): Promise<void> {
    await this.page.getByRole('button', { name: 'Restore and verify' }).click();
    await expect(this.page.getByTestId('restore-verified')).toBeVisible({ timeout: 60_000 });
  }

  async runDrill(vm: string): Promise<void> {
    await this.page.getByRole('button', { name: `Run a drill of ${vm}` }).click();
    await expect(this.drillOutcome).toBeVisible({ timeout: 90_000 });
  }
}
