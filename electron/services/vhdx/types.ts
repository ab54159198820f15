// Public types of the VHDX engine (the contract other teams code against).
export type { BlockState } from './bat';

export interface VhdxParentRef {
  /** parent_linkage: the parent's DataWriteGuid when this child was made (lowercase, no braces). */
  linkage: string;
  /** parent_linkage2 when present (Hyper-V writes the zero GUID). Addition to the base contract. */
  linkage2?: string;
  relativePath?: string;
  absoluteWin32Path?: string;
  volumePath?: string;
}

export interface VhdxInfo {
  path: string;
  kind: 'fixed' | 'dynamic' | 'differencing';
  virtualSize: number;
  blockSize: number;
  logicalSectorSize: number;
  physicalSectorSize: number;
  virtualDiskId: string;
  fileWriteGuid: string;
  dataWriteGuid: string;
  logGuid: string;
  /** True when the file on disk holds a log that still has to be replayed. */
  logPending: boolean;
  headerSequence: number;
  creator?: string;
  parent?: VhdxParentRef;
  fileSize: number;
  /** Bytes of payload blocks allocated in this file (fully or partially present blocks x block size). */
  allocatedBytes: number;
}

/** 'parent' = not present in this file, inherited from the parent. */
export interface Extent {
  offset: number;
  length: number;
  kind: 'data' | 'zero' | 'parent';
}

export interface BlockSummary {
  'not-present': number;
  undefined: number;
  zero: number;
  unmapped: number;
  'fully-present': number;
  'partially-present': number;
  /** Sector-bitmap blocks present in the file. */
  sectorBitmaps: number;
}

export interface VhdxFile {
  readonly path: string;
  readonly info: VhdxInfo;
  /** For a differencing file alone, sectors not present read as zeros; use a Chain for the merged view. */
  read(offset: number, length: number): Promise<Buffer>;
  /** Coalesced, sorted, covering [0, virtualSize). */
  extents(): Promise<Extent[]>;
  /** Writable only; offset and length multiples of the logical sector size. */
  write(offset: number, data: Buffer): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Close without writing anything more (to drop a file whose writing failed). */
  abandon(): Promise<void>;
  /** Addition: counts of payload block states. */
  blockSummary(): BlockSummary;
}

/** Where a piece of a virtual range lives: bytes of a file, or zeros. */
export type Piece =
  { file: string; fileOffset: number; length: number } | { zero: true; length: number };

export interface Chain {
  /** Child first, base last. */
  readonly files: VhdxInfo[];
  readonly virtualSize: number;
  readonly logicalSectorSize: number;
  read(offset: number, length: number): Promise<Buffer>;
  readInto(buf: Buffer, offset: number): Promise<void>;
  /**
   * [offset, offset+length) as pieces in disk order, so another thread can read it with plain file reads; null
   * when that is not possible (a file opened writable, or with its log replayed in memory).
   */
  locate?(offset: number, length: number): Promise<Piece[] | null>;
  /** Merged view: 'data' | 'zero' only. */
  extents(): Promise<Extent[]>;
  close(): Promise<void>;
}

export interface CheckIssue {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  repairable: boolean;
  /** Addition: set when `repair` fixed this issue. */
  repaired?: boolean;
}

export interface CheckReport {
  path: string;
  ok: boolean;
  issues: CheckIssue[];
  info?: VhdxInfo;
}

export interface OpenOptions {
  writable?: boolean;
  replayLog?: 'refuse' | 'in-memory';
  /** Write block payload unbuffered where the platform allows (large restores; see direct-io.ts). */
  directIo?: boolean;
}
