// Topology: the lab renders with flags; filters, search and grouping; VM→CSV and CSV→VM highlight; findings badges; keyboard.
import { expect, test } from './fixtures';
import { TopologyPage } from './pages/topology';

test('renders the lab with flags, findings badges and the details of a VM and a CSV', async ({
  app,
  page,
}) => {
  const topo = new TopologyPage(page);
  await expect(page).not.toHaveURL(/token=/);
  await expect(topo.vm('SQL01')).toBeVisible();
  await expect(topo.csv('csv2')).toContainText('owner HV-B');
  await expect(page.getByTestId('flag-SQL01-spans-csvs')).toHaveText('2 CSVs');
  await expect(page.getByTestId('flag-SQL01-not-csv-owner')).toBeVisible();
  await expect(page.getByTestId('flag-DC01-spans-csvs')).toHaveCount(0);
  // Pre-flight findings arrive as badges: APP01 has its integration services off (an error).
  const badge = page.getByTestId('findings-APP01');
  await expect(badge).toBeVisible({ timeout: 15_000 });
  await app.shot('topology');

  await badge.click();
  await expect(topo.details.getByRole('heading', { name: 'APP01' })).toBeVisible();
  await expect(topo.details.getByTestId('details-findings')).toContainText(/integration service/i);
  await app.shot('topology-finding-explained');

  await topo.selectVm('SQL01');
  await expect(topo.details).toContainText('Disks on 2 CSVs');
  await expect(topo.details).toContainText('Cluster Disk 2 is owned by HV-B');
  // VM → CSV highlight: its two CSVs light up, the others dim.
  await expect(topo.csv('csv1')).toHaveClass(/\bhot\b/);
  await expect(topo.csv('csv2')).toHaveClass(/\bhot\b/);
  await expect(topo.csv('csv3')).toHaveClass(/\bdim\b/);
  await expect(topo.vm('WEB01')).toHaveClass(/\bdim\b/);
  await app.shot('topology-vm-highlight');

  // CSV → VM highlight.
  await topo.selectCsv('csv4', 'Cluster Disk 4');
  await expect(topo.details).toContainText('SQLCL-N2');
  await expect(topo.vm('MON01')).toHaveClass(/\bhot\b/);
  await expect(topo.vm('LEGACY01')).toHaveClass(/\bhot\b/);
  await expect(topo.vm('DC01')).toHaveClass(/\bdim\b/);
  await app.shot('topology-csv-highlight');

  // Escape closes the panel.
  await page.keyboard.press('Escape');
  await expect(topo.details).toBeHidden();
});

test('filters by node, state, CSV and problem, searches, and groups by CSV', async ({
  app,
  page,
}) => {
  const topo = new TopologyPage(page);
  await topo.search('web');
  await expect(topo.vm('WEB01')).toBeVisible();
  await expect(topo.vm('SQL01')).toHaveCount(0);
  await expect(topo.count).toHaveText('2 of 13 VMs');
  await topo.clearFilters();

  await topo.filter('Node', 'HV-C');
  await expect(topo.vm('WEB02')).toBeVisible();
  await expect(topo.vm('DC01')).toHaveCount(0);
  await topo.filter('State', 'Off');
  await expect(topo.count).toHaveText('1 of 13 VMs');
  await expect(topo.vm('BUILD01')).toBeVisible();
  await topo.clearFilters();

  await topo.filter('CSV', 'Cluster Disk 4');
  await expect(topo.vm('MON01')).toBeVisible();
  await expect(topo.vm('WEB01')).toHaveCount(0);
  await topo.clearFilters();

  await topo.filter('Problem', 'No SCSI controller');
  await expect(topo.count).toHaveText('1 of 13 VMs');
  await expect(topo.vm('LEGACY01')).toBeVisible();
  await topo.filter('Problem', 'With pre-flight or doctor findings');
  await expect(topo.vm('APP01')).toBeVisible();
  await app.shot('topology-filtered');
  await topo.clearFilters();

  await topo.groupBy('CSV');
  await expect(page.getByTestId('csvframe-csv1')).toBeVisible();
  await expect(topo.host('HV-A')).toContainText('owns Cluster Disk 1, Cluster Disk 4');
  await app.shot('topology-by-csv');
  await topo.groupBy('node');
});

test('is usable with the keyboard and readable in the dark theme; the page refuses to work without the token', async ({
  app,
  page,
  browser,
}) => {
  const topo = new TopologyPage(page);
  await app.setTheme('dark');
  const sql = topo.vm('SQL01').getByRole('button', { name: /^SQL01,/ });
  await sql.focus();
  await page.keyboard.press('Enter');
  await expect(topo.details.getByRole('heading', { name: 'SQL01' })).toBeVisible();
  await expect(sql).toHaveAttribute('aria-pressed', 'true');
  await app.shot('topology-dark');
  await page.keyboard.press('Escape');
  await expect(topo.details).toBeHidden();
  await app.setTheme('light');

  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  const res = await other.goto(process.env.HVBC_E2E_BASE ?? '');
  expect(res?.status()).toBe(401);
  await fresh.close();
});
