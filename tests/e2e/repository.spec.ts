// Repository: figures and points per VM; a structure check and a full data verification run as tasks with their results.
import { expect, test } from './fixtures';
import { BackupWizard } from './pages/backup';
import { RepositoryPage } from './pages/repository';

test('repository check and verify run as tasks; points per VM are listed with sizes', async ({
  app,
  page,
}) => {
  const w = new BackupWizard(page);
  await w.run(['WEB01']);
  await w.waitForOutcome();

  await app.go('Repository');
  const repo = new RepositoryPage(page);
  await expect(repo.facts).toContainText('Dedupe');
  await expect(repo.facts).toContainText('not encrypted');
  // The volume that holds the repository, with its size.
  await expect(repo.facts).toContainText(
    /Free on its volume\s*[\d.]+ [KMGT]?i?B of [\d.]+ [KMGT]?i?B/,
  );
  await page.getByTestId('repo-vms').getByRole('button', { name: 'WEB01' }).click();
  await expect(page.getByRole('button', { name: 'Restore…' }).first()).toBeVisible();

  const check = await repo.runMaintenance('Check structure', 'check-result');
  await expect(check).toContainText('Structure is consistent');
  await app.shot('repository-check');
  const verify = await repo.runMaintenance('Verify all data', 'check-result');
  await expect(verify).toContainText('every chunk re-hashed');
  const gc = await repo.runMaintenance('Garbage collection', 'gc-result');
  await expect(gc).toContainText('Garbage collection done');
  await app.shot('repository-gc');

  await app.go('Jobs');
  await expect(
    page.getByRole('button', { name: 'Check repository structure' }).first(),
  ).toBeVisible();
});
