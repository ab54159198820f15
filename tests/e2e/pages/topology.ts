// Page model of the topology: search and filters, grouping, VM / CSV / node cards, the details panel.
import { expect, type Locator, type Page } from '@playwright/test';

export class TopologyPage {
  constructor(readonly page: Page) {}

  get filters(): Locator {
    return this.page.getByRole('search', { name: 'Filter the topology' });
  }
  get details(): Locator {
    return this.page.getByTestId('details-panel');
  }
  get count(): Locator {
    return this.page.getByTestId('topology-count');
  }
  vm(name: string): Locator {
    return this.page.getByTestId(`vm-${name}`);
  }
  csv(id: string): Locator {
    return this.page.getByTestId(`csv-${id}`);
  }
  host(name: string): Locator {
    return this.page.getByTestId(`host-${name}`);
  }

  async search(q: string): Promise<void> {
    await this.filters.getByLabel('Search VMs').fill(q);
  }
  async filter(label: 'Node' | 'CSV' | 'State' | 'Problem', option: string): Promise<void> {
    await this.filters.getByLabel(label, { exact: true }).selectOption({ label: option });
  }
  async clearFilters(): Promise<void> {
    await this.filters.getByRole('button', { name: 'Clear filters' }).click();
    await expect(this.filters.getByLabel('Search VMs')).toHaveValue('');
  }
  async groupBy(by: 'node' | 'CSV'): Promise<void> {
    const b = this.filters.getByRole('button', { name: `By ${by}` });
    await b.click();
    await expect(b).toHaveAttribute('aria-pressed', 'true');
  }
  async selectVm(name: string): Promise<void> {
    await this.vm(name)
      .getByRole('button', { name: new RegExp(`^${name},`) })
      .click();
    await expect(this.details.getByRole('heading', { name })).toBeVisible();
  }
  async selectCsv(id: string, name: string): Promise<void> {
    await this.csv(id)
      .getByRole('button', { name: new RegExp(`^${name},`) })
      .click();
    await expect(this.details.getByRole('heading', { name })).toBeVisible();
  }
}
