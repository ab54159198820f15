// Backup page: the wizard — VMs → consistency → repository → pre-flight → run with live progress → honest summary.
import type { Inventory } from '../../../../shared/model';
import { inventoryFallback } from '../../components/InventoryFallback';
import { useInventory } from '../../features/estate/queries';
import { useRepoInfo } from '../../features/repo/queries';
import { useWizard, WIZARD_STEPS, type WizardStep } from '../../state/backupWizard';
import { OptionsStep } from './OptionsStep';
import { PreflightStep, usePreflightGate } from './PreflightStep';
import { RepositoryStep } from './RepositoryStep';
import { RunStep } from './RunStep';
import { SelectStep } from './SelectStep';

function Stepper({ canReach }: { canReach: (s: WizardStep) => boolean }) {
  const step = useWizard((s) => s.step);
  const setStep = useWizard((s) => s.setStep);
  const running = useWizard((s) => s.taskId !== null);
  return (
    <ol className="stepper" aria-label="Backup steps">
      {WIZARD_STEPS.map((s, i) => (
        <li key={s.step}>
          <button
            type="button"
            aria-current={step === s.step ? 'step' : undefined}
            disabled={running ? s.step !== 'run' : !canReach(s.step)}
            onClick={() => setStep(s.step)}
          >
            <span className="stepnum">{i + 1}</span> {s.label}
          </button>
        </li>
      ))}
    </ol>
  );
}

function Wizard({ inv }: { inv: Inventory }) {
  const step = useWizard((s) => s.step);
  const setStep = useWizard((s) => s.setStep);
  const vmIds = useWizard((s) => s.vmIds);
  const running = useWizard((s) => s.taskId !== null);
  const repo = useRepoInfo();
  const gate = usePreflightGate(step === 'preflight' || step === 'run');
  const idx = WIZARD_STEPS.findIndex((s) => s.step === step);
  const blockerOf = (s: WizardStep): string => {
    if (s === 'select') return vmIds.length === 0 ? 'Choose at least one VM.' : '';
    if (s === 'repository') return repo.data?.exists ? '' : 'A repository is needed.';
    if (s === 'preflight') return gate.ready ? '' : gate.why;
    return '';
  };
  const canReach = (target: WizardStep) => {
    const t = WIZARD_STEPS.findIndex((s) => s.step === target);
    return WIZARD_STEPS.slice(0, t).every((s) => blockerOf(s.step) === '');
  };
  const next = WIZARD_STEPS[idx + 1];
  const prev = WIZARD_STEPS[idx - 1];
  const blocker = blockerOf(step);
  return (
    <div className="page">
      <div className="toolbar">
        <h1>Back up</h1>
        <span className="muted">
          Into the deduplicating repository, with pre-flight checks and an honest summary.
        </span>
      </div>
      <Stepper canReach={canReach} />
      <section className="card wizard" aria-label={WIZARD_STEPS[idx]?.label}>
        {step === 'select' && <SelectStep inv={inv} />}
        {step === 'options' && <OptionsStep />}
        {step === 'repository' && <RepositoryStep />}
        {step === 'preflight' && <PreflightStep />}
        {step === 'run' && <RunStep inv={inv} />}
      </section>
      {!running && (
        <div className="wizard-nav">
          <button type="button" disabled={!prev} onClick={() => prev && setStep(prev.step)}>
            Back
          </button>
          <span className="muted small grow" role="status">
            {blocker}
          </span>
          {next && (
            <button
              type="button"
              className="primary"
              disabled={blocker !== ''}
              onClick={() => setStep(next.step)}
            >
              Next: {next.label}
            </button>
          )}
        </div>
      )}
    </div>
  );
}

export function BackupPage() {
  const inv = useInventory();
  const fallback = inventoryFallback(inv);
  if (fallback || !inv.data) return fallback;
  return <Wizard inv={inv.data} />;
}
