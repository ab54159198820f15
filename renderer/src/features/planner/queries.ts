// Planner queries: pre-flight checks, the checkpoint doctor's scan and the backup plan (never with dry runs here).
import { queryOptions, useQuery } from '@tanstack/react-query';
import type { PlanOptions } from '../../../../shared/planner';
import { api } from '../../api/client';

export const plannerKeys = {
  all: ['planner'] as const,
  preflight: (vmIds: readonly string[] | 'all') =>
    [...plannerKeys.all, 'preflight', vmIds] as const,
  doctor: () => [...plannerKeys.all, 'doctor'] as const,
  plan: (o: PlanOptions) => [...plannerKeys.all, 'plan', o] as const,
};

export const preflightQuery = (vmIds: readonly string[] | 'all') =>
  queryOptions({
    queryKey: plannerKeys.preflight(vmIds),
    queryFn: () => api().call('preflight.run', vmIds === 'all' ? {} : { vmIds: [...vmIds] }),
  });

export const doctorQuery = () =>
  queryOptions({ queryKey: plannerKeys.doctor(), queryFn: () => api().call('doctor.scan', {}) });

export const planQuery = (o: PlanOptions) =>
  queryOptions({ queryKey: plannerKeys.plan(o), queryFn: () => api().call('planner.plan', o) });

export function usePreflight(vmIds: readonly string[] | 'all', enabled = true) {
  return useQuery({ ...preflightQuery(vmIds), enabled });
}

export function useDoctor(enabled = true) {
  return useQuery({ ...doctorQuery(), enabled });
}

export function usePlan(o: PlanOptions, enabled = true) {
  return useQuery({ ...planQuery(o), enabled });
}
