// Jobs: finished runs listed live, a run's Hyper-V events linked to it, and history charts drawn from jobs.history.
import { expect, test } from './fixtures';
import { BackupWizard } from './pages/backup';
import { JobsPage } from './pages/jobs';

test('history charts render and a run shows the Hyper-V events it raised', async ({
  app,
  page,
}) => {
  const w = new BackupWizard(page);
  await w.run(['WEB02'], { full: true });
  expect(await w.waitForOutcome()).toBe('succeeded');
  await w.run(['WEB02']);
  expect(await w.waitForOutcome()).toBe('succeeded');

  await app.go('Jobs');
  const jobs = new JobsPage(page);
  await jobs.openTask(/^Back up WEB02/);
  await expect(jobs.detail.getByTestId('event-list')).toContainText('WEB02');
  await expect(jobs.detail.getByTestId('event-list')).toContainText(/checkpoint/i);
  await app.shot('jobs-task-events');

  await expect(jobs.charts).toBeVisible();
  await expect(jobs.chart('duration').locator('.recharts-bar-rectangle').first()).toBeVisible();
  await expect(jobs.chart('bytes').locator('.recharts-bar-rectangle').first()).toBeVisible();
  await expect(jobs.chart('change').locator('.recharts-line-curve')).toBeVisible();
  await expect(jobs.chart('dedupe').locator('.recharts-line')).toBeVisible();
  await jobs.charts.scrollIntoViewIfNeeded();
  await app.shot('jobs-charts');
  // Charts take their colours from the theme: readable in the dark theme too.
  await app.setTheme('dark');
  await jobs.charts.scrollIntoViewIfNeeded();
  await app.shot('jobs-charts-dark');
  await app.setTheme('light');
  await page.keyboard.press('Escape');
  await expect(jobs.detail).toBeHidden();
});
