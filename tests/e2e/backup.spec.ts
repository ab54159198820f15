// Backup wizard: pre-flight errors block, warnings need a recorded reason; live progress; partial shown as failure; cancel.
import path from 'node:path';
import { LabProvider } from '../../electron/services/providers/lab/provider';
import { expect, test } from './fixtures';
import { BackupWizard } from './pages/backup';

const SLOW = ['DC01', 'SQL01', 'FILE01', 'EXCH01', 'WEB01', 'WEB02', 'BUILD01', 'LEGACY01'];
// Whatever happens in the cancel test, the other specs get the lab's normal speed back.
test.afterAll(() => slowStorage(SLOW, null));

/** Switch the lab's slow-storage fault for some VMs (so a run lasts long enough to watch and cancel). */
async function slowStorage(vms: string[], mbps: number | null): Promise<void> {
  const lab = await LabProvider.open(path.join(process.env.HVBC_E2E_DATA ?? '', 'lab'));
  try {
    for (const vm of vms) await lab.setFault(vm, 'slow-storage', mbps !== null, String(mbps ?? ''));
  } finally {
    await lab.close();
  }
}

test('wizard → pre-flight → run → live progress → an honest partial summary', async ({
  app,
  page,
}) => {
  const w = new BackupWizard(page);
  await w.start();
  await w.choose(['WEB01', 'APP01', 'LEGACY01', 'SQLCL-N1']);
  await w.next('Consistency');
  await w.options({ consistency: 'Application-consistent' });
  await w.next('Repository');
  await w.ensureRepository();
  await w.next('Pre-flight');
  // APP01's integration services are off: an error that blocks the run.
  await expect(w.verdict).toContainText('Blocked');
  await expect(page.getByTestId('pf-integration-services-APP01')).toContainText(
    /integration service/i,
  );
  await expect(w.nextButton).toBeDisabled();
  await app.shot('backup-preflight-blocked');

  // Leave APP01 out; LEGACY01's warning must be overridden with a reason.
  await w.step('VMs').click();
  await page.getByLabel('Back up APP01', { exact: true }).uncheck();
  await w.step('Pre-flight').click();
  await expect(w.verdict).toContainText(/warning.* to review/);
  await expect(w.nextButton).toBeDisabled();
  expect(await w.overrideWarnings('legacy VM, full backups accepted')).toBeGreaterThan(0);
  await expect(w.verdict).toContainText('Ready');
  await app.shot('backup-preflight-overridden');
  await w.next('Run');
  await expect(page.getByText('legacy VM, full backups accepted')).toBeVisible();

  await w.startRun();
  // A short run may end before the first screenshot; then its progress sits folded under the summary.
  await expect(page.getByTestId('progress-vm-WEB01').or(w.outcome).first()).toBeVisible();
  await app.shot('backup-progress');
  const status = await w.waitForOutcome();

  // SQLCL-N1's guest cluster has two owners of its VHD Set (32775): the run is partial, and said so.
  expect(status).toBe('partial');
  await expect(w.outcome).toContainText('Partial failure — this run did not succeed');
  await expect(page.getByTestId('outcome-SQLCL-N1')).toContainText('32775');
  await expect(page.getByTestId('outcome-WEB01')).toContainText('succeeded');
  await expect(page.getByTestId('outcome-LEGACY01')).toContainText(/full/);
  await expect(w.summary).toContainText('legacy VM, full backups accepted');
  await app.shot('backup-summary-partial');

  // The Jobs list does not call it a success either.
  await app.go('Jobs');
  await expect(page.getByText('partial failure').first()).toBeVisible();
});

test('a cleanup failure is shown loudly and a running backup can be canceled', async ({
  app,
  page,
}) => {
  const w = new BackupWizard(page);
  // MON01's recovery checkpoint never merges: the run backs it up but leaves a checkpoint behind.
  await w.run(['MON01']);
  await w.waitForOutcome();
  await expect(page.getByTestId('cleanup-failures')).toContainText('checkpoints were left behind');
  await expect(page.getByTestId('cleanup-failures')).toContainText('MON01');
  await app.shot('backup-cleanup-failure');

  // A full backup of every VM but APP01 (blocked by pre-flight), canceled while it runs. Their storage reads at
  // 2 MB/s (the lab's slow-storage fault), so the run lasts long enough to watch whatever this machine's speed.
  await slowStorage(SLOW, 2);
  await w.start();
  await page.getByRole('button', { name: /^Select all shown/ }).click();
  await page.getByLabel('Back up APP01', { exact: true }).uncheck();
  await expect(page.getByTestId('selected-count')).toHaveText('12 selected');
  await w.next('Consistency');
  await w.options({ full: true });
  await w.next('Repository');
  await w.ensureRepository();
  await w.next('Pre-flight');
  await w.overrideWarnings('test run');
  await w.next('Run');
  // Count the moments at which progress changed on screen while the run streams (one update moves many bars).
  await page.evaluate(() => {
    const g = window as unknown as { __progress: number[] };
    g.__progress = [];
    new MutationObserver(() => {
      const now = performance.now();
      if (now - (g.__progress[g.__progress.length - 1] ?? -1e9) > 50) g.__progress.push(now);
    }).observe(document.body, {
      subtree: true,
      attributes: true,
      attributeFilter: ['aria-valuenow'],
    });
  });
  await w.startRun();
  await expect(w.progress.getByText('running').first()).toBeVisible();
  await expect
    .poll(
      () => page.evaluate(() => (window as unknown as { __progress: number[] }).__progress.length),
      { timeout: 20_000 },
    )
    .toBeGreaterThanOrEqual(8);
  const updates = await page.evaluate(
    () => (window as unknown as { __progress: number[] }).__progress,
  );
  const perSecond =
    (updates.length - 1) / (((updates[updates.length - 1] ?? 0) - (updates[0] ?? 0)) / 1000);
  test
    .info()
    .annotations.push({ type: 'progress updates per second', description: perSecond.toFixed(1) });
  expect(perSecond).toBeGreaterThan(2.5);
  await app.shot('backup-progress-full');
  await w.progress.getByRole('button', { name: 'Cancel' }).click();
  const status = await w.waitForOutcome();
  expect(status).toBe('canceled');
  await expect(w.outcome).toContainText('Canceled.');
  await expect(w.summary.locator('.state.canceled').first()).toBeVisible();
  await app.shot('backup-canceled');
});
