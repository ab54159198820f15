// Settings: estate and repository shown; a policy created in the editor, saved, edited and deleted with confirmation.
import { expect, test } from './fixtures';
import { SettingsPage } from './pages/settings';

test('policy save, edit and delete through the editor', async ({ app, page }) => {
  await app.go('Settings');
  const s = new SettingsPage(page);
  await expect(page.getByTestId('estate-source')).toContainText('Embedded lab cluster');

  await s.newPolicy();
  const e = s.editor;
  await e.getByLabel('Name', { exact: true }).fill('Nightly web');
  // Saving without a selection is refused with the reason.
  await e.getByRole('button', { name: 'Save policy' }).click();
  await expect(e.getByRole('alert')).toContainText('Choose at least one VM name, tag, CSV or node');
  await e.getByRole('group', { name: 'Tags' }).getByLabel('web').check();
  await expect(e.getByTestId('policy-matches')).toContainText('Selects 2 VMs now: WEB01, WEB02');
  await e.getByLabel('Preset').selectOption({ label: 'Every night at 01:00' });
  await expect(e.getByLabel(/^Cron/)).toHaveValue('0 1 * * *');
  await e.getByLabel('Keep last', { exact: true }).fill('7');
  await e.getByLabel(/Run a restore drill/).check();
  await e.getByLabel(/^Webhook/).fill('https://hooks.example.invalid/hvbc');
  await app.shot('settings-policy-editor');
  await s.save();

  const row = s.policyRow('nightly-web');
  await expect(row).toContainText('Nightly web');
  await expect(row).toContainText('0 1 * * *');
  await expect(row).toContainText('tags web');
  await expect(row).toContainText('drill after');
  await app.shot('settings-policies');

  await row.getByRole('button', { name: 'Edit' }).click();
  await s.editor.getByLabel('Window (minutes)').fill('90');
  await s.save();
  await expect(row).toContainText('window 90 min');

  // Run it now: the run is recorded and listed under the policy, with its task.
  await row.getByRole('button', { name: 'Run now' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Policy run' })).toBeVisible({
    timeout: 60_000,
  });
  await row.getByRole('button', { name: 'Nightly web' }).click();
  const runs = page.locator('table.inner');
  await expect(runs).toContainText(/running|succeeded|partial|failed/);
  await expect(runs.getByRole('button', { name: 'open task' }).first()).toBeVisible();
  await app.shot('settings-policy-run');

  await row.getByRole('button', { name: 'Delete' }).click();
  const confirm = page.getByRole('dialog', { name: /Delete policy Nightly web/ });
  await expect(confirm).toBeVisible();
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect(row).toHaveCount(0);
});
