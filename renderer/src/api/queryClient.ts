// The one react-query client with explicit defaults (no refetch on focus: pushed events keep data fresh).
import { QueryClient } from '@tanstack/react-query';
import { ApiError } from './client';

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      refetchOnWindowFocus: false,
      // A method the service does not offer will not appear by retrying.
      retry: (count, e) =>
        !(e instanceof ApiError && (e.unavailable || e.code === 'VALIDATION')) && count < 1,
    },
  },
});
