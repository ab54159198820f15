// Page model of settings: estate, repository, the policy list and the policy editor dialog.
import { expect, type Locator, type Page } from '@playwright/test';

export class SettingsPage {
  constructor(readonly page: Page) {}

  get policies(): Locator {
    return this.page.getByTestId('policies');
  }
  get editor(): Locator {
    return this.page.getByTestId('policy-editor');
  }
  policyRow(id: string): Locator {
    return this.page.getByTestId(`policy-${id}`);
  }

  async newPolicy(): Promise<void> {
    await this.policies.getByRole('button', { name: 'New policy' }).click();
    await expect(this.editor.getByRole('heading', { name: 'New policy' })).toBeVisible();
  }

  async save(): Promise<void> {
    await this.editor.getByRole('button', { name: 'Save policy' }).click();
    await expect(this.editor).toBeHidden();
  }
}
