// UI state (zustand): transient notices shown in the corner (errors of actions, confirmations).
import { create } from 'zustand';
import { describeError } from '../components/errorText';

export interface Notice {
  id: number;
  tone: 'error' | 'ok' | 'info';
  title: string;
  text: string;
}

interface NoticeState {
  notices: Notice[];
  push(n: Omit<Notice, 'id'>): void;
  dismiss(id: number): void;
}

let next = 1;
export const useNotices = create<NoticeState>((set) => ({
  notices: [],
  push: (n) => set((s) => ({ notices: [...s.notices.slice(-4), { ...n, id: next++ }] })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((x) => x.id !== id) })),
}));

export function notifyError(title: string, e: unknown): void {
  useNotices.getState().push({ tone: 'error', title, text: describeError(e) });
}

export function notify(title: string, text = '', tone: Notice['tone'] = 'ok'): void {
  useNotices.getState().push({ tone, title, text });
}
