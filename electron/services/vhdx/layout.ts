// MS-VHDX on-disk constants: offsets, sizes, signatures, well-known GUIDs and BAT states.

export const KiB = 1024;
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

/** Everything after the 1 MiB header section is aligned to 1 MiB. */
export const ALIGN = MiB;
export const HEADER_SECTION_SIZE = MiB;

export const FILE_ID_OFFSET = 0;
export const FILE_ID_SIGNATURE = 'vhdxfile';
export const CREATOR_OFFSET = 8;
export const CREATOR_MAX_BYTES = 512;

export const HEADER1_OFFSET = 64 * KiB;
export const HEADER2_OFFSET = 128 * KiB;
export const HEADER_SIZE = 4 * KiB;
export const HEADER_SIGNATURE = 'head';

export const REGION1_OFFSET = 192 * KiB;
export const REGION2_OFFSET = 256 * KiB;
export const REGION_TABLE_SIZE = 64 * KiB;
export const REGION_SIGNATURE = 'regi';
export const REGION_MAX_ENTRIES = 2047;

export const METADATA_SIGNATURE = 'metadata';
export const METADATA_TABLE_SIZE = 64 * KiB;
export const METADATA_MAX_ENTRIES = 2047;
export const METADATA_ITEM_MAX = MiB;

export const LOG_SECTOR = 4 * KiB;
export const LOG_ENTRY_SIGNATURE = 'loge';
export const LOG_DESC_SIGNATURE = 'desc';
export const LOG_ZERO_SIGNATURE = 'zero';
export const LOG_DATA_SIGNATURE = 'data';

export const MIN_BLOCK_SIZE = MiB;
export const MAX_BLOCK_SIZE = 256 * MiB;
export const MAX_VIRTUAL_SIZE = 64 * TiB;
export const DEFAULT_BLOCK_SIZE = 32 * MiB;
export const DEFAULT_DIFF_BLOCK_SIZE = 2 * MiB;
export const DEFAULT_LOG_SIZE = MiB;
export const SECTOR_BITMAP_BLOCK_SIZE = MiB;
/** Sectors covered by one sector-bitmap block (2^23 bits). */
export const SECTORS_PER_BITMAP_BLOCK = 2 ** 23;

export const REGION_GUID_BAT = '2dc27766-f623-4200-9d64-115e9bfd4a08';
export const REGION_GUID_METADATA = '8b7ca206-4790-4b9a-b8fe-575f050f886e';

export const META_FILE_PARAMETERS = 'caa16737-fa36-4d43-b3b6-33f0aa44e76b';
export const META_VIRTUAL_DISK_SIZE = '2fa54224-cd1b-4876-b211-5dbed83bf4b8';
export const META_VIRTUAL_DISK_ID = 'beca12ab-b2e6-4523-93ef-c309e000c746';
export const META_LOGICAL_SECTOR_SIZE = '8141bf1d-a96f-4709-ba47-f233a8faab5f';
export const META_PHYSICAL_SECTOR_SIZE = 'cda348c7-445d-4471-9cc9-e9885251c556';
export const META_PARENT_LOCATOR = 'a8d35f2d-b30b-454d-abf7-d3d84834ab0c';

export const PARENT_LOCATOR_TYPE_VHDX = 'b04aefb7-d19e-4a81-b789-25b8e9445913';

export const META_FLAG_IS_USER = 1;
export const META_FLAG_IS_VIRTUAL_DISK = 2;
export const META_FLAG_IS_REQUIRED = 4;

export const FILE_PARAM_LEAVE_BLOCKS_ALLOCATED = 1;
export const FILE_PARAM_HAS_PARENT = 2;

/** Payload BAT entry states [MS-VHDX 2.5.1.1]. */
export const PAYLOAD_NOT_PRESENT = 0;
export const PAYLOAD_UNDEFINED = 1;
export const PAYLOAD_ZERO = 2;
export const PAYLOAD_UNMAPPED = 3;
/** UNMAPPED in the v0.95 spec; still accepted (qemu does). */
export const PAYLOAD_UNMAPPED_V095 = 5;
export const PAYLOAD_FULLY_PRESENT = 6;
export const PAYLOAD_PARTIALLY_PRESENT = 7;

/** Sector-bitmap BAT entry states [2.5.1.2]. */
export const SB_NOT_PRESENT = 0;
export const SB_PRESENT = 6;

/** The BAT offset field: bits 20..63 (a multiple of 1 MiB). Reserved bits 3..19. */
export const BAT_STATE_MASK = 0x7;
export const BAT_RESERVED_MASK_LO = 0x000ffff8;
export const BAT_OFFSET_MASK_LO = 0xfff00000;

export const CREATOR_STRING = 'Hyper-V Backup Console';
