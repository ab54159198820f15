// Page model of Restore & drills: VM list, point timeline, restore form (new VM or in place) and result, drill run,
// report and history.
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

  /** Lab only: choose "in place", type the VM name and start; resolves when the verified result shows. */
  async restoreInPlace(vm: string): Promise<void> {
    await this.page.getByTestId('restore-target-in-place').check();
    await expect(this.page.getByTestId('restore-in-place-warning')).toContainText('.hvbc-replaced');
    const submit = this.page.getByTestId('restore-submit');
    await this.page.getByTestId('restore-confirm-name').fill(vm.toLowerCase());
    await expect(submit).toBeDisabled();
    await this.page.getByTestId('restore-confirm-name').fill(vm);
    await expect(submit).toBeEnabled();
    await submit.click();
    await expect(this.page.getByTestId('restore-verified')).toContainText('Restored in place', {
      timeout: 60_000,
    });
  }

  async runDrill(vm: string): Promise<void> {
    await this.page.getByRole('button', { name: `Run a drill of ${vm}` }).click();
    await expect(this.drillOutcome).toBeVisible({ timeout: 90_000 });
  }
}
