// SPDX-License-Identifier: GPL-2.0

//! The limits of a namespace's disk that the controller decides, as nvme-pci computes them:
//! the largest discard and how many ranges it may carry, and the largest write zeroes, with or
//! without deallocation.
//!
//! Everything here is pure: no function touches the hardware.

use kernel::prelude::*;

use super::{
    cmd::DSM_MAX_RANGES,
    identify::{
        IdCtrl,
        IdCtrlNvm,
        NsGeometry, //
    },
    regs::PageSize,
};

/// log2 of a sector, the block layer's unit of limits.
const SECTOR_SHIFT: u32 = 9;

/// NVMe version 2.1, as `VER` encodes it.
const NVME_2_1: u32 = 0x0002_0100;
/// NSFEAT OPTPERF bits before NVMe 2.1: preferred granularities in Identify Namespace.
const OPTPERF_MASK: u8 = 0x1;
/// NSFEAT OPTPERF bits from NVMe 2.1 on: also the NVM command set's larger ones.
const OPTPERF_MASK_2_1: u8 = 0x3;

/// Most logical blocks of one Write Zeroes: its block count is 16 bits, 0's based.
const WRITE_ZEROES_MAX_BLOCKS: u64 = 1 << 16;

/// The discard and write zeroes limits of a disk, in 512-byte sectors (0: not supported).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DiskLimits {
    /// Largest discard (Dataset Management, deallocate).
    pub(crate) discard_sectors: u32,
    /// Most ranges one discard carries.
    pub(crate) discard_segments: u16,
    /// The unit of discards, in bytes (not in sectors).
    pub(crate) discard_granularity: u32,
    /// Largest write zeroes.
    pub(crate) write_zeroes_sectors: u32,
    /// Largest write zeroes the controller may serve by deallocating.
    pub(crate) write_zeroes_unmap_sectors: u32,
}

/// Returns `2 ^ units` memory pages of the controller's minimum size `mpsmin` in sectors,
/// `u32::MAX` if that does not fit.
fn pages_to_sectors(units: u8, mpsmin: PageSize) -> u32 {
    1u32.checked_shl(u32::from(units) + mpsmin.shift() - SECTOR_SHIFT)
        .unwrap_or(u32::MAX)
}

/// Returns the discard and write zeroes limits of namespace `ns` of a controller identified as
/// `id` and `nvm`, whose reads and writes are at most `max_hw_sectors` and whose minimum memory
/// page size is `mpsmin`.
///
/// - Discard: the controller's Dataset Management Range Size Limit if it has one that fits,
///   otherwise any size if it supports Dataset Management; at most its Ranges Limit ranges, or
///   256.
/// - Discard granularity: the namespace's preferred deallocate granularity or alignment,
///   whichever is larger, if it reports them (NSFEAT OPTPERF; the second OPTPERF bit counts
///   from NVMe 2.1 on), otherwise the logical block. nvme-pci also reads the larger NPDGL and
///   NPDAL of the NVM command set's Identify Namespace, which rnvme does not.
/// - Write zeroes: the controller's Write Zeroes Size Limit if it has one, otherwise the
///   largest read or write (nvme-pci's caution: MDTS does not apply to Write Zeroes), if it
///   supports Write Zeroes; unlike nvme-pci, at most what the command's 16-bit block count
///   expresses. The controller may deallocate up to all of it if the namespace reads
///   deallocated blocks as zeroes and allows it.
pub(crate) fn disk_limits(
    id: &IdCtrl,
    nvm: &IdCtrlNvm,
    ns: &NsGeometry,
    max_hw_sectors: u32,
    mpsmin: PageSize,
) -> DiskLimits {
    let to_sectors = ns.lba_shift() - SECTOR_SHIFT;
    let discard_sectors = match nvm.dmrsl.checked_shl(to_sectors) {
        Some(s) if nvm.dmrsl != 0 && s >> to_sectors == nvm.dmrsl => s,
        _ if id.supports_dsm() => u32::MAX,
        _ => 0,
    };
    let optperf = ns.optperf
        & if id.ver >= NVME_2_1 {
            OPTPERF_MASK_2_1
        } else {
            OPTPERF_MASK
        };
    let (npdg, npda) = ns.deallocate_unit;
    let units = match optperf {
        0 => 1,
        o if o & 1 != 0 => npdg.max(npda),
        _ => npda,
    };
    let discard_granularity = units.checked_mul(ns.lba_size()).unwrap_or(ns.lba_size());
    let discard_segments = match nvm.dmrl {
        0 => DSM_MAX_RANGES,
        n => usize::from(n),
    };
    let write_zeroes_sectors = if !id.supports_write_zeroes() {
        0
    } else {
        let wanted = match nvm.wzsl {
            0 => max_hw_sectors,
            n => pages_to_sectors(n, mpsmin),
        };
        let most = WRITE_ZEROES_MAX_BLOCKS << to_sectors;
        // CAST: at most `wanted`, a `u32`.
        u64::from(wanted).min(most) as u32
    };
    DiskLimits {
        discard_sectors,
        // CAST: at most 256.
        discard_segments: discard_segments as u16,
        discard_granularity,
        write_zeroes_sectors,
        write_zeroes_unmap_sectors: if ns.deallocate_zeroes {
            write_zeroes_sectors
        } else {
            0
        },
    }
}

#[cfg(CONFIG_RNVME_KUNIT_TEST)]
#[kunit_tests(rnvme_limits)]
mod tests {
    use super::*;
    use crate::nvme::identify::IdNs;

    /// A controller like QEMU's: Dataset Management and Write Zeroes, or neither.
    fn ctrl(oncs: u16) -> IdCtrl {
        IdCtrl {
            vid: 0x1b36,
            sn: [b' '; 20],
            mn: [b' '; 40],
            fr: [b' '; 8],
            mdts: 7,
            cntlid: 0,
            ver: 0x0001_0400,
            crdt: [0; 3],
            oacs: 0,
            sqes: 0x66,
            cqes: 0x44,
            nn: 256,
            oncs,
            vwc: 0,
            sgls: 0,
        }
    }

    /// ONCS with Dataset Management (bit 2) and Write Zeroes (bit 3), as QEMU's 0x015d.
    const ONCS_QEMU: u16 = 0x015d;

    /// Returns the geometry of a namespace of 4096 blocks of `2 ^ lbads` bytes.
    fn geometry(lbads: u8, dlfeat: u8) -> Result<NsGeometry> {
        let mut b = KVec::from_elem(0u8, 4096, GFP_KERNEL)?;
        b[..8].copy_from_slice(&4096u64.to_le_bytes());
        b[33] = dlfeat;
        b[130] = lbads;
        IdNs::parse(&b)?.classify(0, 65536).map_err(|_| EINVAL)
    }

    #[test]
    fn qemu_like() -> Result {
        let k4 = PageSize::SZ_4K;
        // QEMU: a DMRSL, no DMRL, no WZSL; 512-byte blocks, deallocated blocks read as zeroes.
        let nvm = IdCtrlNvm {
            wzsl: 0,
            dmrl: 0,
            dmrsl: 0x8000,
        };
        let l = disk_limits(&ctrl(ONCS_QEMU), &nvm, &geometry(9, 0x09)?, 1024, k4);
        assert_eq!(
            l,
            DiskLimits {
                discard_sectors: 0x8000,
                discard_segments: 256,
                discard_granularity: 512,
                write_zeroes_sectors: 1024,
                write_zeroes_unmap_sectors: 1024,
            }
        );
        // 4096-byte blocks: DMRSL counts blocks, limits count sectors.
        let l = disk_limits(&ctrl(ONCS_QEMU), &nvm, &geometry(12, 0x01)?, 1024, k4);
        assert_eq!(l.discard_sectors, 0x8000 * 8);
        assert_eq!(l.write_zeroes_unmap_sectors, 0);
        Ok(())
    }

    #[test]
    fn discard() -> Result {
        let k4 = PageSize::SZ_4K;
        let ns = geometry(12, 0)?;
        let none = IdCtrlNvm::default();
        // No range size limit: any size.
        let l = disk_limits(&ctrl(ONCS_QEMU), &none, &ns, 1024, k4);
        assert_eq!((l.discard_sectors, l.discard_segments), (u32::MAX, 256));
        // A limit that overflows in sectors: as if there were none.
        let big = IdCtrlNvm {
            dmrsl: 0x2000_0000,
            ..none
        };
        assert_eq!(
            disk_limits(&ctrl(ONCS_QEMU), &big, &ns, 1024, k4).discard_sectors,
            u32::MAX
        );
        let fits = IdCtrlNvm {
            dmrsl: 0x1fff_ffff,
            ..none
        };
        assert_eq!(
            disk_limits(&ctrl(ONCS_QEMU), &fits, &ns, 1024, k4).discard_sectors,
            0xffff_fff8
        );
        // A ranges limit.
        let ranges = IdCtrlNvm { dmrl: 1, ..none };
        assert_eq!(
            disk_limits(&ctrl(ONCS_QEMU), &ranges, &ns, 1024, k4).discard_segments,
            1
        );
        // No Dataset Management: no discard, whatever the other limits say.
        let l = disk_limits(&ctrl(ONCS_QEMU & !(1 << 2)), &none, &ns, 1024, k4);
        assert_eq!(l.discard_sectors, 0);
        assert_eq!(l.write_zeroes_sectors, 1024);
        Ok(())
    }

    #[test]
    fn discard_granularity() -> Result {
        let k4 = PageSize::SZ_4K;
        let none = IdCtrlNvm::default();
        let gran = |ver: u32, nsfeat: u8, npdg: u16, npda: u16, lbads: u8| -> Result<u32> {
            let mut b = KVec::from_elem(0u8, 4096, GFP_KERNEL)?;
            b[..8].copy_from_slice(&4096u64.to_le_bytes());
            b[24] = nsfeat;
            b[68..70].copy_from_slice(&npdg.to_le_bytes());
            b[70..72].copy_from_slice(&npda.to_le_bytes());
            b[130] = lbads;
            let ns = IdNs::parse(&b)?.classify(0, 65536).map_err(|_| EINVAL)?;
            let mut id = ctrl(ONCS_QEMU);
            id.ver = ver;
            Ok(disk_limits(&id, &none, &ns, 1024, k4).discard_granularity)
        };
        // QEMU: OPTPERF, NPDG and NPDA 7 for 512-byte blocks, 0 for 4096-byte ones.
        assert_eq!(gran(0x0001_0400, 0x10, 7, 7, 9)?, 4096);
        assert_eq!(gran(0x0001_0400, 0x10, 0, 0, 12)?, 4096);
        // Without OPTPERF the fields mean nothing: the logical block.
        assert_eq!(gran(0x0001_0400, 0x00, 7, 7, 9)?, 512);
        // The larger of granularity and alignment.
        assert_eq!(gran(0x0001_0400, 0x10, 1, 15, 9)?, 8192);
        assert_eq!(gran(0x0001_0400, 0x10, 15, 1, 9)?, 8192);
        // The second OPTPERF bit alone: only from NVMe 2.1 on, and then only the alignment.
        assert_eq!(gran(0x0001_0400, 0x20, 15, 1, 9)?, 512);
        assert_eq!(gran(0x0002_0100, 0x20, 15, 1, 9)?, 1024);
        assert_eq!(gran(0x0002_0100, 0x30, 15, 1, 9)?, 8192);
        // An overflowing product: the logical block.
        assert_eq!(gran(0x0001_0400, 0x10, 0xffff, 0, 16)?, 65536);
        assert_eq!(gran(0x0001_0400, 0x10, 0xfffe, 0, 16)?, 65535 * 65536);
        Ok(())
    }

    #[test]
    fn write_zeroes() -> Result {
        let k4 = PageSize::SZ_4K;
        let ns = geometry(9, 0x09)?;
        // WZSL in minimum memory pages: 2^7 pages of 4 KiB are 1024 sectors.
        let nvm = IdCtrlNvm {
            wzsl: 7,
            ..IdCtrlNvm::default()
        };
        let l = disk_limits(&ctrl(ONCS_QEMU), &nvm, &ns, 256, k4);
        assert_eq!(l.write_zeroes_sectors, 1024);
        assert_eq!(l.write_zeroes_unmap_sectors, 1024);
        let l = disk_limits(&ctrl(ONCS_QEMU), &nvm, &ns, 256, PageSize::SZ_64K);
        assert_eq!(l.write_zeroes_sectors, 1 << 14);
        // At most 65536 blocks, the command's count.
        let huge = IdCtrlNvm {
            wzsl: 40,
            ..IdCtrlNvm::default()
        };
        assert_eq!(
            disk_limits(&ctrl(ONCS_QEMU), &huge, &ns, 256, k4).write_zeroes_sectors,
            65536
        );
        assert_eq!(
            disk_limits(&ctrl(ONCS_QEMU), &huge, &geometry(12, 0)?, 256, k4).write_zeroes_sectors,
            65536 * 8
        );
        // No Write Zeroes support.
        let l = disk_limits(&ctrl(0x0004), &nvm, &ns, 256, k4);
        assert_eq!(
            (l.write_zeroes_sectors, l.write_zeroes_unmap_sectors),
            (0, 0)
        );
        Ok(())
    }
}
