// A dialog that asks before a destructive action: Cancel, and one danger button that runs it.
import type { ReactNode } from 'react';
import { Dialog } from './Dialog';

interface Props {
  open: boolean;
  title: string;
  /** Label of the danger button, e.g. "Delete". */
  confirm: string;
  onConfirm(): void;
  onClose(): void;
  children: ReactNode;
}

export function ConfirmDialog({ open, title, confirm, onConfirm, onClose, children }: Props) {
  return (
    <Dialog
      open={open}
      title={title}
      onClose={onClose}
      actions={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="danger" onClick={onConfirm}>
            {confirm}
          </button>
        </>
      }
    >
      {children}
    </Dialog>
  );
}
