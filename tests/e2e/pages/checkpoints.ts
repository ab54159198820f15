// Page model of the checkpoints view: VM list, checkpoint tree, disk chains, the doctor and its repair dialog.
import { expect, type Locator, type Page } from '@playwright/test';

export class CheckpointsPage {
  constructor(readonly page: Page) {}

  get tree(): Locator {
    return this.page.getByTestId('checkpoint-tree');
  }
  get doctor(): Locator {
    return this.page.getByTestId('doctor-panel');
  }
  get dialog(): Locator {
    return this.page.getByTestId('repair-dialog');
  }
  chains(): Locator {
    return this.page.locator('[data-testid^="chain-"]');
  }

  async selectVm(name: string): Promise<void> {
    await this.page
      .getByRole('navigation', { name: 'VMs' })
      .getByRole('button', { name: new RegExp(`^${name}`) })
      .click();
    await expect(this.page.getByRole('heading', { level: 1, name })).toBeVisible();
  }

  async previewRepairOf(kind: string): Promise<void> {
    const finding = this.doctor.getByTestId(`doctor-${kind}`).first();
    await finding.getByRole('checkbox').check();
    await this.doctor.getByRole('button', { name: /^Preview repair/ }).click();
    await expect(this.dialog).toBeVisible();
    await expect(this.dialog.getByTestId('repair-plan')).toBeVisible();
  }
}
