// An invisible point at the bottom of a VM's cell where that VM's own edges start.
import { Handle, Position } from '@xyflow/react';
import { memo } from 'react';

export const AnchorNode = memo(function AnchorNode() {
  return (
    <div className="anchor" aria-hidden>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});
