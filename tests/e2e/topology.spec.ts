import { expect, test } from '@playwright/test';

const url = () => {
  const u = process.env.HVBC_E2E_URL;
  if (!u) throw new Error('global setup did not start the console');
  return u;
};

test('topology renders the lab, flags the cross-CSV VM and opens its details', async ({ page }) => {
  await page.goto(url());
  // The token leaves the address bar once the page has it.
  await expect(page).not.toHaveURL(/token=/);
  await expect(page.getByTestId('vm-SQL01')).toBeVisible();
  await expect(page.getByTestId('csv-csv2')).toContainText('owner HV-B');
  await expect(page.getByTestId('flag-SQL01-spans-csvs')).toHaveText('2 CSVs');
  await expect(page.getByTestId('flag-SQL01-not-csv-owner')).toBeVisible();
  await expect(page.getByTestId('flag-DC01-spans-csvs')).toHaveCount(0);
  await page.screenshot({ path: 'tests/e2e/artifacts/topology.png' });

  await page.getByTestId('vm-SQL01').click();
  const panel = page.getByTestId('details-panel');
  await expect(panel).toBeVisible();
  await expect(panel).toContainText('Disks on 2 CSVs');
  await expect(panel).toContainText('Cluster Disk 2 is owned by HV-B');
  await page.screenshot({ path: 'tests/e2e/artifacts/topology-details.png' });

  await page.getByTestId('csv-csv4').click();
  await expect(panel).toContainText('Cluster Disk 4');
  await expect(panel).toContainText('SQLCL-N2');
});

test('search narrows the topology and the page refuses to work without the token', async ({ page, browser }) => {
  await page.goto(url());
  await page.getByLabel('Search VMs').fill('web');
  await expect(page.getByTestId('vm-WEB01')).toBeVisible();
  await expect(page.getByTestId('vm-SQL01')).toHaveCount(0);

  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  const res = await other.goto(process.env.HVBC_E2E_BASE ?? '');
  expect(res?.status()).toBe(401);
  await fresh.close();
});
