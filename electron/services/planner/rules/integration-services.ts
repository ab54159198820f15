// Rule: the backup (volume shadow copy) integration service must be on for an application-consistent hot backup.
import type { PreflightRule } from './types';

/** The backup integration service is named "VSS", "Backup (volume snapshot)" or "Backup (volume shadow copy)" by version. */
export function isBackupService(name: string): boolean {
  return /^vss$|backup|shadow/i.test(name.trim());
}

export const integrationServicesRule: PreflightRule = {
  id: 'integration-services',
  title: 'Backup integration service',
  scope: 'vm',
  severity: 'error',
  description:
    'The "Backup (volume shadow copy)" integration service lets the host ask the guest\'s VSS writers to freeze. Without it a host backup of a running VM is not application-consistent: older hosts save (pause) the VM for the snapshot, 2016+ falls back to a crash-consistent checkpoint.',
  check(vm) {
    if (vm.state !== 'Running')
      return {
        status: 'not-applicable',
        message: `${vm.name} is ${vm.state}: an offline backup does not need the guest's services.`,
      };
    const svc = vm.integrationServices.find((s) => isBackupService(s.name));
    const evidence = vm.integrationServices.map(
      (s) => `${s.name}: ${s.enabled ? 'enabled' : 'disabled'}, ${s.status}`,
    );
    if (!svc) {
      return {
        status: 'fail',
        message: `${vm.name} reports no backup integration service: the host cannot ask the guest to freeze its applications.`,
        evidence: evidence.length ? evidence : ['No integration services reported'],
        fix: `Install or update the integration services in the guest, then enable the service: Enable-VMIntegrationService -VMName '${vm.name}' -Name 'Backup (volume shadow copy)'.`,
      };
    }
    if (!svc.enabled || !/^ok$/i.test(svc.status.trim())) {
      return {
        status: 'fail',
        message: `${vm.name}'s "${svc.name}" integration service is ${svc.enabled ? `not healthy (${svc.status})` : 'off'}: no application-consistent hot backup (event 4093 on the host).`,
        evidence,
        fix: `Enable-VMIntegrationService -VMName '${vm.name}' -Name '${svc.name}', and check that the "Hyper-V Volume Shadow Copy Requestor" service runs in the guest.`,
      };
    }
    return { status: 'pass', message: `"${svc.name}" is on and OK.`, evidence };
  },
};
