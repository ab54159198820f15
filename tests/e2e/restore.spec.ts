// Restore & drills: back up DC01, restore its newest point verified by hash, run a drill and download its report;
// then restore DC01 in place (lab only), which the form allows only with the VM off and its name typed.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LabProvider } from '../../electron/services/providers/lab/provider';
import { expect, test } from './fixtures';
import { ARTIFACTS } from './pages/app';
import { BackupWizard } from './pages/backup';
import { RestorePage } from './pages/restore';

test('restore a point verified, then a drill with measured recovery time and its report as a download', async ({
  app,
  page,
}) => {
  const w = new BackupWizard(page);
  await w.run(['DC01']);
  expect(await w.waitForOutcome()).toBe('succeeded');

  await app.go('Restore & drills');
  const r = new RestorePage(page);
  await r.pickVm('DC01');
  await expect(r.points.getByRole('radio').first()).toBeVisible();
  await expect(r.points.getByRole('radio', { checked: true })).toHaveCount(1);
  await r.restoreToSandbox();
  await expect(page.getByTestId('restore-result')).toContainText('✓ matches');
  await app.shot('restore-verified');

  await r.runDrill('DC01');
  await expect(r.drillOutcome).toContainText('Drill passed');
  await expect(page.getByTestId('drill-vm-DC01')).toContainText(/met, .* to spare/);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('drill-report').click(),
  ]);
  const name = download.suggestedFilename();
  expect(name).toMatch(/\.html$/);
  // Kept under a fixed name so runs do not pile up reports.
  const saved = path.join(ARTIFACTS, 'drill-report.html');
  await download.saveAs(saved);
  const html = await readFile(saved, 'utf8');
  expect(html).toContain('DC01');
  await expect(page.getByTestId('drill-history')).toContainText('passed');
  await expect(page.getByTestId('drill-trend').locator('.recharts-dot').first()).toBeVisible();
  await app.shot('restore-drill');
});

/** Power a lab VM on or off from the test (the console has no power control); the console sees the event. */
async function power(vm: string, on: boolean): Promise<void> {
  const lab = await LabProvider.open(path.join(process.env.HVBC_E2E_DATA ?? '', 'lab'));
  try {
    await (on ? lab.powerOn(vm) : lab.powerOff(vm));
  } finally {
    await lab.close();
  }
}

test('restore in place on the lab: only with the VM off and its name typed, old files kept', async ({
  app,
  page,
}) => {
  const w = new BackupWizard(page);
  await w.run(['DC01']);
  expect(await w.waitForOutcome()).toBe('succeeded');
  await app.go('Restore & drills');
  const r = new RestorePage(page);
  await r.pickVm('DC01');
  await expect(r.points.getByRole('radio', { checked: true })).toHaveCount(1);
  const again = page.getByRole('button', { name: 'Restore again' });
  if (await again.isVisible()) await again.click();
  await page.getByTestId('restore-target-in-place').check();
  await expect(page.getByTestId('restore-in-place-not-off')).toContainText('turn it off first');
  await expect(page.getByTestId('restore-submit')).toBeDisabled();
  await app.shot('restore-in-place-form');
  await power('DC01', false);
  try {
    await expect(page.getByTestId('restore-in-place-not-off')).toHaveCount(0);
    await r.restoreInPlace('DC01');
    await expect(page.getByTestId('restore-replaced-dir')).toContainText('.hvbc-replaced');
    await expect(page.getByTestId('restore-result')).toContainText('✓ matches');
    await app.shot('restore-in-place');
  } finally {
    await power('DC01', true);
  }
});
