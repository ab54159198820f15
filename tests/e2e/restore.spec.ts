// Restore & drills: back up DC01, restore its newest point verified by hash, run a drill and download its report.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
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
