// Repository: figures and points per VM; a structure check and a full data verification run as tasks with their results.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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

  // A restore point whose manifest cannot be read is named on the page, not silently left out.
  const repoDir = path.join(process.env.HVBC_E2E_DATA ?? '', 'repository');
  const bad = path.join(repoDir, 'points', '20250101T000000Z-0badf00d');
  const aside = path.join(repoDir, 'quarantine', 'points', '20250101T000000Z-0badf00d');
  writeFileSync(bad, 'not a manifest');
  try {
    await app.open();
    await app.go('Repository');
    const note = page.getByTestId('unreadable-points');
    await expect(note).toContainText('1 restore point cannot be read');
    await expect(note).toContainText('20250101T000000Z-0badf00d');
    await app.shot('repository-unreadable-point');
    // …and where a point is picked for a restore.
    await app.go('Restore & drills');
    await expect(page.getByTestId('restore-unreadable-points')).toContainText(
      '1 restore point cannot be read, so it cannot be restored.',
    );
    await app.shot('restore-unreadable-point');
    // Moved aside after a confirmation: gone from the page, kept in quarantine/ for a repair from a copy.
    await app.go('Repository');
    await note.getByRole('button', { name: 'Move aside…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Move the damaged restore point aside?' });
    await dialog.getByRole('button', { name: 'Move aside', exact: true }).click();
    await expect(note).toBeHidden();
    expect(existsSync(bad)).toBe(false);
    expect(readFileSync(aside, 'utf8')).toBe('not a manifest');
  } finally {
    rmSync(bad, { force: true });
    rmSync(aside, { force: true });
  }

  await app.go('Jobs');
  await expect(
    page.getByRole('button', { name: 'Check repository structure' }).first(),
  ).toBeVisible();
});
