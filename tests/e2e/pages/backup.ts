// Page model of the backup wizard: choose VMs, options, repository, pre-flight (with overrides), run, progress, summary.
import { expect, type Locator, type Page } from '@playwright/test';
import { ConsoleApp } from './app';

export interface RunOptions {
  consistency?: 'Application-consistent' | 'File-system consistent' | 'Crash-consistent';
  require?: boolean;
  full?: boolean;
  /** Reason given for every pre-flight warning (they must be overridden to start). */
  overrideReason?: string;
}

export class BackupWizard {
  readonly app: ConsoleApp;
  constructor(readonly page: Page) {
    this.app = new ConsoleApp(page);
  }

  get nextButton(): Locator {
    return this.page.getByRole('button', { name: /^Next:/ });
  }
  get verdict(): Locator {
    return this.page.getByTestId('preflight-verdict');
  }
  get progress(): Locator {
    return this.page.getByTestId('task-progress');
  }
  get outcome(): Locator {
    return this.page.getByTestId('backup-outcome');
  }
  get summary(): Locator {
    return this.page.getByTestId('backup-summary');
  }
  step(label: string): Locator {
    return this.page
      .getByRole('list', { name: 'Backup steps' })
      .getByRole('button', { name: new RegExp(label) });
  }

  /** Open the wizard at a fresh start (after a finished run, start a new one). */
  async start(): Promise<void> {
    await this.app.go('Backup');
    const fresh = this.page.getByRole('button', { name: 'New backup' });
    if (await fresh.isVisible()) await fresh.click();
    await expect(this.step('VMs')).toHaveAttribute('aria-current', 'step');
  }

  async choose(names: string[]): Promise<void> {
    const clear = this.page.getByRole('button', { name: 'Clear', exact: true });
    if (await clear.isEnabled()) await clear.click();
    for (const n of names) await this.page.getByLabel(`Back up ${n}`, { exact: true }).check();
    await expect(this.page.getByTestId('selected-count')).toHaveText(`${names.length} selected`);
  }

  async next(label: string): Promise<void> {
    await this.page.getByRole('button', { name: `Next: ${label}` }).click();
    await expect(this.step(label)).toHaveAttribute('aria-current', 'step');
  }

  async options(o: RunOptions): Promise<void> {
    if (o.consistency)
      await this.page.getByRole('radio', { name: new RegExp(o.consistency) }).check();
    const req = this.page.getByRole('checkbox', { name: /Require this consistency/ });
    if (o.require) await req.check();
    else await req.uncheck();
    const full = this.page.getByRole('checkbox', { name: /Full backup/ });
    if (o.full) await full.check();
    else await full.uncheck();
  }

  /** On the repository step: create the repository when there is none yet. */
  async ensureRepository(): Promise<void> {
    const facts = this.page.getByTestId('repo-facts');
    const create = this.page.getByRole('button', { name: 'Create repository' });
    await expect(facts.or(create)).toBeVisible();
    if (await create.isVisible()) {
      await create.click();
      await expect(facts).toBeVisible();
    }
  }

  /** Override every pending warning with a reason; returns how many were overridden. */
  async overrideWarnings(reason: string): Promise<number> {
    await expect(this.verdict).toBeVisible();
    const boxes = this.page.getByRole('checkbox', { name: 'Override this warning' });
    const n = await boxes.count();
    for (let i = 0; i < n; i++) {
      await boxes.nth(i).check();
      await this.page
        .getByPlaceholder('Why it is safe to go on (recorded with the run)')
        .nth(i)
        .fill(reason);
    }
    return n;
  }

  async startRun(): Promise<void> {
    await this.page.getByRole('button', { name: /^Start backup of/ }).click();
    await expect(this.page.getByTestId('task-detail')).toBeVisible();
  }

  /** Walk the whole wizard for these VMs and start the run (warnings overridden with a reason). */
  async run(names: string[], o: RunOptions = {}): Promise<void> {
    await this.start();
    await this.choose(names);
    await this.next('Consistency');
    await this.options(o);
    await this.next('Repository');
    await this.ensureRepository();
    await this.next('Pre-flight');
    await this.overrideWarnings(o.overrideReason ?? 'accepted for this test run');
    await expect(this.verdict).toContainText(/Ready/);
    await this.next('Run');
    await this.startRun();
  }

  async waitForOutcome(timeout = 60_000): Promise<string> {
    await expect(this.outcome).toBeVisible({ timeout });
    return (await this.outcome.getAttribute('data-status')) ?? '';
  }
}
