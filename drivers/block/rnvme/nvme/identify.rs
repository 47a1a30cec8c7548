// SPDX-License-Identifier: GPL-2.0

//! Identify data parsing, after the NVMe 2.0 base specification (section 5.17.2) and the NVM
//! command set specification.
//!
//! The controller returns each Identify data structure as a 4096-byte little-endian buffer.
//! `IdCtrlData`, `IdNsData` and `NsListData` are those structures, `#[repr(C)]` with their
//! fields at the specification's offsets (the ones the driver does not read are reserved
//! bytes), viewed in place with `FromBytes`. The parsers check the fields the driver needs and
//! return plain values: [`IdCtrl`] (CNS 01h), [`IdNs`] (CNS 00h), [`ActiveNsList`] (CNS 02h)
//! and the namespace's command set, [`command_set`] (CNS 03h).
//!
//! Whether a namespace is served is decided here too, by [`IdNs::classify`]: a namespace the
//! driver cannot serve is skipped for a reason ([`Unusable`]), and does not stop the others.
//!
//! Everything here is pure: no function touches the hardware.

use kernel::{
    prelude::*,
    sizes::SZ_2M, //
};
use zerocopy::{
    byteorder::little_endian::{
        U16,
        U32,
        U64, //
    },
    Immutable,
    KnownLayout, //
};
use zerocopy_derive::{
    Immutable,
    KnownLayout, //
};

use super::regs::{
    PageSize,
    CQES_LOG2,
    SQES_LOG2, //
};

/// Size of every Identify data structure.
pub(crate) const IDENTIFY_SIZE: usize = 4096;

/// Largest transfer the driver issues, whatever the controller allows.
///
/// With 4 KiB pages, any 2 MiB buffer needs at most 513 PRP entries: `prp1` and one full list
/// page, so a request never needs a chained list.
pub(crate) const MAX_TRANSFER_BYTES: usize = SZ_2M;

/// Most namespace IDs an active namespace list holds.
pub(crate) const NS_LIST_MAX: usize = IDENTIFY_SIZE / 4;

/// The broadcast namespace ID, never a real namespace.
const NSID_BROADCAST: u32 = u32::MAX;

/// Returns the Identify data structure `T` at the start of `data`.
///
/// # Errors
///
/// `EINVAL` if `data` is shorter than 4096 bytes.
fn view<T: FromBytes + KnownLayout + Immutable>(data: &[u8]) -> Result<&T> {
    let data = data.get(..IDENTIFY_SIZE).ok_or(EINVAL)?;
    T::ref_from_bytes(data).map_err(|_| EINVAL)
}

/// Returns `s` without its padding: trailing spaces and NULs.
fn trim(s: &[u8]) -> &[u8] {
    let len = s
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |i| i + 1);
    &s[..len]
}

/// The Identify Controller data structure (CNS 01h).
#[repr(C)]
#[derive(FromBytes, KnownLayout, Immutable)]
struct IdCtrlData {
    vid: U16,
    _ssvid: U16,
    sn: [u8; 20],
    mn: [u8; 40],
    fr: [u8; 8],
    _rab_ieee_cmic: [u8; 5],
    mdts: u8,
    cntlid: U16,
    ver: U32,
    _rsvd84: [u8; 44],
    crdt: [U16; 3],
    _rsvd134: [u8; 122],
    oacs: U16,
    _rsvd258: [u8; 254],
    sqes: u8,
    cqes: u8,
    _maxcmd: U16,
    nn: U32,
    oncs: U16,
    _fuses_fna: [u8; 3],
    vwc: u8,
    _rsvd526: [u8; 10],
    sgls: U32,
    _rsvd540: [u8; 3556],
}

/// The fields of the Identify Controller data structure the driver uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IdCtrl {
    /// PCI Vendor ID.
    pub(crate) vid: u16,
    /// Serial Number (ASCII, space padded).
    pub(crate) sn: [u8; 20],
    /// Model Number (ASCII, space padded).
    pub(crate) mn: [u8; 40],
    /// Firmware Revision (ASCII, space padded).
    pub(crate) fr: [u8; 8],
    /// Maximum Data Transfer Size: `2 ^ MDTS` minimum memory pages, 0 for no limit.
    pub(crate) mdts: u8,
    /// Controller ID.
    pub(crate) cntlid: u16,
    /// Version, as in the VS register.
    pub(crate) ver: u32,
    /// Command Retry Delay Times 1 to 3, in units of 100 ms.
    pub(crate) crdt: [u16; 3],
    /// Optional Admin Command Support.
    pub(crate) oacs: u16,
    /// Submission Queue Entry Size: maximum (7:4) and required (3:0), as powers of two.
    pub(crate) sqes: u8,
    /// Completion Queue Entry Size: maximum (7:4) and required (3:0), as powers of two.
    pub(crate) cqes: u8,
    /// Number of Namespaces: the largest valid namespace ID.
    pub(crate) nn: u32,
    /// Optional NVM Command Support.
    pub(crate) oncs: u16,
    /// Volatile Write Cache.
    pub(crate) vwc: u8,
    /// SGL Support.
    pub(crate) sgls: u32,
}

/// OACS bit: Doorbell Buffer Config supported.
const OACS_DBBUF: u16 = 1 << 8;
/// ONCS bit: Dataset Management supported.
const ONCS_DSM: u16 = 1 << 2;
/// ONCS bit: Write Zeroes supported.
const ONCS_WRITE_ZEROES: u16 = 1 << 3;
/// VWC bit: a volatile write cache is present.
const VWC_PRESENT: u8 = 1 << 0;

/// Returns whether an entry size field (maximum in 7:4, required in 3:0) allows `2 ^ log2`.
fn entry_size_ok(field: u8, log2: u32) -> bool {
    let (max, min) = (u32::from(field >> 4), u32::from(field & 0xf));
    min <= log2 && log2 <= max
}

impl IdCtrl {
    /// Parses an Identify Controller data structure.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `data` is shorter than 4096 bytes, or if the controller cannot use 64-byte
    /// submission or 16-byte completion queue entries, the only sizes the driver uses.
    pub(crate) fn parse(data: &[u8]) -> Result<Self> {
        let d: &IdCtrlData = view(data)?;
        let id = Self {
            vid: d.vid.get(),
            sn: d.sn,
            mn: d.mn,
            fr: d.fr,
            mdts: d.mdts,
            cntlid: d.cntlid.get(),
            ver: d.ver.get(),
            crdt: d.crdt.map(|t| t.get()),
            oacs: d.oacs.get(),
            sqes: d.sqes,
            cqes: d.cqes,
            nn: d.nn.get(),
            oncs: d.oncs.get(),
            vwc: d.vwc,
            sgls: d.sgls.get(),
        };
        if !entry_size_ok(id.sqes, SQES_LOG2) || !entry_size_ok(id.cqes, CQES_LOG2) {
            return Err(EINVAL);
        }
        Ok(id)
    }

    /// Returns the serial number without its padding.
    pub(crate) fn serial(&self) -> &[u8] {
        trim(&self.sn)
    }

    /// Returns the model number without its padding.
    pub(crate) fn model(&self) -> &[u8] {
        trim(&self.mn)
    }

    /// Returns the firmware revision without its padding.
    pub(crate) fn firmware(&self) -> &[u8] {
        trim(&self.fr)
    }

    /// Returns the largest transfer, in bytes, for a controller whose minimum memory page size
    /// (`CAP.MPSMIN`) is `mpsmin`, capped to [`MAX_TRANSFER_BYTES`].
    pub(crate) fn max_transfer_bytes(&self, mpsmin: PageSize) -> usize {
        if self.mdts == 0 {
            return MAX_TRANSFER_BYTES;
        }
        let shift = mpsmin.shift() + u32::from(self.mdts);
        if shift >= usize::BITS {
            return MAX_TRANSFER_BYTES;
        }
        (1usize << shift).min(MAX_TRANSFER_BYTES)
    }

    /// Returns whether the controller supports Doorbell Buffer Config (shadow doorbells).
    pub(crate) fn supports_dbbuf(&self) -> bool {
        self.oacs & OACS_DBBUF != 0
    }

    /// Returns whether the controller has a volatile write cache, which makes flushes useful.
    pub(crate) fn has_volatile_write_cache(&self) -> bool {
        self.vwc & VWC_PRESENT != 0
    }

    /// Returns whether the controller supports Dataset Management (discard).
    pub(crate) fn supports_dsm(&self) -> bool {
        self.oncs & ONCS_DSM != 0
    }

    /// Returns whether the controller supports Write Zeroes.
    pub(crate) fn supports_write_zeroes(&self) -> bool {
        self.oncs & ONCS_WRITE_ZEROES != 0
    }

    /// Returns whether the controller supports SGLs for the NVM command set.
    pub(crate) fn supports_sgls(&self) -> bool {
        self.sgls & 0x3 != 0
    }
}

/// Number of LBA format descriptors in the Identify Namespace data structure.
const LBAF_COUNT: usize = 64;
/// log2 of the smallest logical block the block layer accepts: 512 bytes, a sector.
const MIN_LBADS: u8 = 9;

/// NSFEAT: the OPTPERF bits (5:4) start here.
const NSFEAT_OPTPERF_SHIFT: u8 = 4;

/// DLFEAT bits 2:0: what a deallocated block reads as.
const DLFEAT_READ_MASK: u8 = 0x7;
/// DLFEAT bits 2:0 value: deallocated blocks read as zeroes.
const DLFEAT_READ_ZEROES: u8 = 0x1;
/// DLFEAT bit: Write Zeroes may deallocate the blocks (DEAC).
const DLFEAT_WRITE_ZEROES_DEAC: u8 = 1 << 3;

/// Namespace Identifier Type of the Command Set Identifier descriptor (Identify CNS 03h).
const NIDT_CSI: u8 = 4;
/// The NVM command set, the only one the driver serves.
pub(crate) const CSI_NVM: u8 = 0;

/// An LBA Format descriptor of the Identify Namespace data structure.
#[repr(C)]
#[derive(FromBytes, KnownLayout, Immutable)]
struct LbaFormat {
    /// Metadata Size, in bytes.
    ms: U16,
    /// LBA Data Size, as a power of two.
    lbads: u8,
    /// Relative Performance (bits 1:0).
    rp: u8,
}

/// The Identify Namespace data structure (CNS 00h).
#[repr(C)]
#[derive(FromBytes, KnownLayout, Immutable)]
struct IdNsData {
    nsze: U64,
    ncap: U64,
    nuse: U64,
    nsfeat: u8,
    nlbaf: u8,
    flbas: u8,
    _mc_dpc_dps_nmic_rescap_fpi: [u8; 6],
    dlfeat: u8,
    _rsvd34: [u8; 34],
    npdg: U16,
    npda: U16,
    _rsvd72: [u8; 56],
    lbaf: [LbaFormat; LBAF_COUNT],
    _rsvd384: [u8; 3712],
}

/// The fields of the Identify Namespace data structure the driver uses, as the controller
/// reported them: [`IdNs::classify`] says whether the namespace can be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IdNs {
    /// Namespace Size, in logical blocks.
    pub(crate) nsze: u64,
    /// Namespace Capacity, in logical blocks.
    pub(crate) ncap: u64,
    /// Namespace Utilization, in logical blocks.
    pub(crate) nuse: u64,
    /// Number of LBA Formats, 0's based.
    pub(crate) nlbaf: u8,
    /// Formatted LBA Size.
    pub(crate) flbas: u8,
    /// Index of the LBA format in use, from `flbas`.
    pub(crate) format: u8,
    /// LBA Data Size of that format, as a power of two (0 if the format is not listed).
    pub(crate) lbads: u8,
    /// Metadata Size of that format, in bytes (0 if the format is not listed).
    pub(crate) ms: u16,
    /// Relative Performance of that format, 0 is best (0 if the format is not listed).
    pub(crate) rp: u8,
    /// Deallocate Logical Block Features: what deallocated blocks read as (2:0), and whether
    /// Write Zeroes may deallocate (bit 3).
    pub(crate) dlfeat: u8,
    /// Namespace Features.
    pub(crate) nsfeat: u8,
    /// Namespace Preferred Deallocate Granularity, in logical blocks, 0's based.
    pub(crate) npdg: u16,
    /// Namespace Preferred Deallocate Alignment, in logical blocks, 0's based.
    pub(crate) npda: u16,
}

/// Why the driver does not serve a namespace; its [`Display`](kernel::fmt::Display) is the
/// reason the driver logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// The namespace has no blocks.
    ZeroSize,
    /// `flbas` names LBA format `format`, beyond the `formats` listed.
    Format {
        /// Formatted LBA Size.
        flbas: u8,
        /// The index it names.
        format: u8,
        /// How many formats are listed.
        formats: u32,
    },
    /// The format in use carries metadata, which the driver does not transfer.
    Metadata,
    /// The block layer refuses logical blocks of `1 << lbads` bytes.
    LbaSize {
        /// LBA Data Size, as a power of two.
        lbads: u8,
    },
    /// The size of `nsze` blocks in 512-byte sectors does not fit 64 bits.
    TooLarge {
        /// Namespace Size, in logical blocks.
        nsze: u64,
    },
    /// The namespace belongs to command set `csi`, not to NVM.
    CommandSet {
        /// Command Set Identifier.
        csi: u8,
    },
}

impl kernel::fmt::Display for Unusable {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        match *self {
            Self::ZeroSize => write!(f, "its size is zero"),
            Self::Format {
                flbas,
                format,
                formats,
            } => write!(
                f,
                "its FLBAS {:#x} names LBA format {} of {}",
                flbas, format, formats
            ),
            Self::Metadata => write!(f, "its LBA format carries metadata"),
            Self::LbaSize { lbads } => match 1u64.checked_shl(lbads.into()) {
                Some(size) => write!(
                    f,
                    "its LBA size {} is not supported by the block layer",
                    size
                ),
                None => write!(
                    f,
                    "its LBA size 2^{} is not supported by the block layer",
                    lbads
                ),
            },
            Self::TooLarge { nsze } => {
                write!(f, "its size of {} blocks overflows 512-byte sectors", nsze)
            }
            Self::CommandSet { csi } => write!(f, "its command set {} is not NVM", csi),
        }
    }
}

/// The geometry of a namespace the driver serves, checked by [`IdNs::classify`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NsGeometry {
    /// Namespace Size, in logical blocks.
    pub(crate) nsze: u64,
    /// log2 of the logical block size, at least 9.
    lba_shift: u32,
    /// Whether a Write Zeroes may deallocate the blocks: they then read as zeroes.
    pub(crate) deallocate_zeroes: bool,
    /// The OPTPERF bits of the namespace features: which preferred granularities it reports.
    pub(crate) optperf: u8,
    /// Preferred Deallocate Granularity and Alignment, in logical blocks (not 0's based).
    pub(crate) deallocate_unit: (u32, u32),
}

impl NsGeometry {
    /// Returns log2 of the logical block size.
    pub(crate) fn lba_shift(&self) -> u32 {
        self.lba_shift
    }

    /// Returns the logical block size in bytes.
    pub(crate) fn lba_size(&self) -> u32 {
        1 << self.lba_shift
    }

    /// Returns the namespace size in 512-byte sectors.
    pub(crate) fn capacity_sectors(&self) -> u64 {
        // `IdNs::classify` checked that this does not overflow.
        self.nsze << (self.lba_shift - u32::from(MIN_LBADS))
    }
}

impl IdNs {
    /// Reads an Identify Namespace data structure, without judging it: see [`IdNs::classify`].
    ///
    /// # Errors
    ///
    /// `EINVAL` if `data` is shorter than 4096 bytes.
    pub(crate) fn parse(data: &[u8]) -> Result<Self> {
        let d: &IdNsData = view(data)?;
        let (nlbaf, flbas) = (d.nlbaf, d.flbas);
        // Bits 3:0 index the format; with more than 16 formats, bits 6:5 are its upper bits.
        let mut format = flbas & 0xf;
        if nlbaf >= 16 {
            format |= ((flbas >> 5) & 0x3) << 4;
        }
        let lbaf = if format <= nlbaf {
            d.lbaf.get(usize::from(format))
        } else {
            None
        };
        Ok(Self {
            nsze: d.nsze.get(),
            ncap: d.ncap.get(),
            nuse: d.nuse.get(),
            nlbaf,
            flbas,
            format,
            ms: lbaf.map_or(0, |l| l.ms.get()),
            lbads: lbaf.map_or(0, |l| l.lbads),
            rp: lbaf.map_or(0, |l| l.rp & 0x3),
            dlfeat: d.dlfeat,
            nsfeat: d.nsfeat,
            npdg: d.npdg.get(),
            npda: d.npda.get(),
        })
    }

    /// Returns the geometry of the namespace if the driver can serve it as a disk whose logical
    /// blocks are at most `max_lba_size` bytes (what the block layer accepts), given the command
    /// set `csi` it belongs to ([`command_set`]).
    ///
    /// # Errors
    ///
    /// Why the namespace cannot be served, the first of: [`Unusable::ZeroSize`],
    /// [`Unusable::Format`], [`Unusable::Metadata`], [`Unusable::LbaSize`],
    /// [`Unusable::TooLarge`], [`Unusable::CommandSet`].
    pub(crate) fn classify(&self, csi: u8, max_lba_size: u32) -> Result<NsGeometry, Unusable> {
        if self.nsze == 0 {
            return Err(Unusable::ZeroSize);
        }
        if self.format > self.nlbaf || usize::from(self.nlbaf) >= LBAF_COUNT {
            return Err(Unusable::Format {
                flbas: self.flbas,
                format: self.format,
                formats: u32::from(self.nlbaf) + 1,
            });
        }
        if self.ms != 0 {
            return Err(Unusable::Metadata);
        }
        let lbads = self.lbads;
        match 1u64.checked_shl(lbads.into()) {
            Some(size) if lbads >= MIN_LBADS && size <= u64::from(max_lba_size) => {}
            _ => return Err(Unusable::LbaSize { lbads }),
        }
        let lba_shift = u32::from(lbads);
        self.nsze
            .checked_mul(1 << (lba_shift - u32::from(MIN_LBADS)))
            .ok_or(Unusable::TooLarge { nsze: self.nsze })?;
        if csi != CSI_NVM {
            return Err(Unusable::CommandSet { csi });
        }
        Ok(NsGeometry {
            nsze: self.nsze,
            lba_shift,
            deallocate_zeroes: self.dlfeat & DLFEAT_READ_MASK == DLFEAT_READ_ZEROES
                && self.dlfeat & DLFEAT_WRITE_ZEROES_DEAC != 0,
            optperf: self.nsfeat >> NSFEAT_OPTPERF_SHIFT,
            deallocate_unit: (u32::from(self.npdg) + 1, u32::from(self.npda) + 1),
        })
    }
}

/// Returns the Command Set Identifier in a Namespace Identification Descriptor list (Identify
/// CNS 03h), or [`CSI_NVM`] if the list has none.
///
/// Each descriptor is a type (NIDT), a length (NIDL), two reserved bytes and NIDL bytes of
/// identifier; a type of zero ends the list, and so does a descriptor that runs past the end
/// of the data. The Command Set Identifier descriptor has type 4 and length 1.
///
/// # Errors
///
/// `EINVAL` if `data` is shorter than 4096 bytes.
pub(crate) fn command_set(data: &[u8]) -> Result<u8> {
    let data = data.get(..IDENTIFY_SIZE).ok_or(EINVAL)?;
    let mut at = 0;
    while let Some(&[nidt, nidl, _, _]) = data.get(at..at + 4) {
        if nidt == 0 {
            break;
        }
        let id = at + 4;
        let Some(value) = data.get(id..id + usize::from(nidl)) else {
            break;
        };
        if let (NIDT_CSI, &[csi]) = (nidt, value) {
            return Ok(csi);
        }
        at = id + usize::from(nidl);
    }
    Ok(CSI_NVM)
}

/// The I/O command set specific Identify Controller data structure of the NVM command set
/// (CNS 06h, CSI 0).
#[repr(C)]
#[derive(FromBytes, KnownLayout, Immutable)]
struct IdCtrlNvmData {
    _vsl: u8,
    wzsl: u8,
    _wusl: u8,
    dmrl: u8,
    dmrsl: U32,
    _dmsl: U64,
    _rsvd16: [u8; 4080],
}

/// The limits of the NVM command set specific Identify Controller data the driver uses; all
/// zero (no limit) for a controller that does not report them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IdCtrlNvm {
    /// Write Zeroes Size Limit: `2 ^ wzsl` minimum memory pages, 0 for none.
    pub(crate) wzsl: u8,
    /// Dataset Management Ranges Limit: ranges per command, 0 for none.
    pub(crate) dmrl: u8,
    /// Dataset Management Range Size Limit: logical blocks per range, 0 for none.
    pub(crate) dmrsl: u32,
}

impl IdCtrlNvm {
    /// Parses the NVM command set specific Identify Controller data structure.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `data` is shorter than 4096 bytes.
    pub(crate) fn parse(data: &[u8]) -> Result<Self> {
        let d: &IdCtrlNvmData = view(data)?;
        Ok(Self {
            wzsl: d.wzsl,
            dmrl: d.dmrl,
            dmrsl: d.dmrsl.get(),
        })
    }
}

/// The active namespace ID list (CNS 02h).
#[repr(C)]
#[derive(FromBytes, KnownLayout, Immutable)]
struct NsListData {
    ids: [U32; NS_LIST_MAX],
}

/// A checked active namespace ID list (Identify CNS 02h): the IDs, strictly increasing, up to
/// the first zero entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ActiveNsList<'a> {
    /// The entries in use.
    ids: &'a [U32],
}

impl<'a> ActiveNsList<'a> {
    /// Checks an active namespace ID list.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `data` is shorter than 4096 bytes, or the IDs are not strictly increasing, or
    /// one is the broadcast ID `0xffffffff`.
    pub(crate) fn parse(data: &'a [u8]) -> Result<Self> {
        let d: &'a NsListData = view(data)?;
        let mut len = 0;
        let mut prev = 0;
        for nsid in d.ids.iter().map(|id| id.get()) {
            if nsid == 0 {
                break;
            }
            if nsid <= prev || nsid == NSID_BROADCAST {
                return Err(EINVAL);
            }
            prev = nsid;
            len += 1;
        }
        Ok(Self {
            ids: d.ids.get(..len).ok_or(EINVAL)?,
        })
    }

    /// Returns the number of IDs.
    fn len(&self) -> usize {
        self.ids.len()
    }

    /// Returns whether the list is full, in which case more namespaces may follow: ask again
    /// with [`ActiveNsList::last`] as the NSID.
    pub(crate) fn is_full(&self) -> bool {
        self.len() == NS_LIST_MAX
    }

    /// Returns the IDs in increasing order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = u32> + 'a {
        let ids: &'a [U32] = self.ids;
        ids.iter().map(|id| id.get())
    }

    /// Returns the largest ID.
    pub(crate) fn last(&self) -> Option<u32> {
        self.ids.last().map(|id| id.get())
    }
}

// The structures are exactly as large as the data the controller returns.
const _: () = assert!(size_of::<IdCtrlData>() == IDENTIFY_SIZE);
const _: () = assert!(size_of::<IdNsData>() == IDENTIFY_SIZE);
const _: () = assert!(size_of::<NsListData>() == IDENTIFY_SIZE);
const _: () = assert!(size_of::<IdCtrlNvmData>() == IDENTIFY_SIZE);

#[cfg(CONFIG_RNVME_KUNIT_TEST)]
#[kunit_tests(rnvme_identify)]
mod tests {
    use super::*;

    /// Returns a zeroed identify buffer.
    fn buffer() -> Result<KVec<u8>> {
        Ok(KVec::from_elem(0u8, IDENTIFY_SIZE, GFP_KERNEL)?)
    }

    fn put(buf: &mut [u8], off: usize, bytes: &[u8]) {
        buf[off..off + bytes.len()].copy_from_slice(bytes);
    }

    /// Returns an Identify Controller buffer like QEMU's.
    fn ctrl() -> Result<KVec<u8>> {
        let mut b = buffer()?;
        put(&mut b, 0, &0x1b36u16.to_le_bytes());
        put(&mut b, 4, b"deadbeef            ");
        put(&mut b, 24, b"QEMU NVMe Ctrl                          ");
        put(&mut b, 64, b"9.0.0   ");
        b[77] = 7;
        put(&mut b, 78, &0x0102u16.to_le_bytes());
        put(&mut b, 80, &0x0001_0400u32.to_le_bytes());
        put(&mut b, 128, &[1, 0, 0x34, 0x12, 0xff, 0xff]);
        put(&mut b, 256, &0x010au16.to_le_bytes());
        b[512] = 0x66;
        b[513] = 0x44;
        put(&mut b, 516, &256u32.to_le_bytes());
        put(&mut b, 520, &0x015du16.to_le_bytes());
        b[525] = 0x07;
        put(&mut b, 536, &0x0010_0001u32.to_le_bytes());
        Ok(b)
    }

    /// Returns an Identify Namespace buffer of `nsze` blocks with formats
    /// `(metadata size, lbads)`, formatted with `flbas`.
    fn ns(nsze: u64, flbas: u8, formats: &[(u16, u8)]) -> Result<KVec<u8>> {
        let mut b = buffer()?;
        put(&mut b, 0, &nsze.to_le_bytes());
        put(&mut b, 8, &nsze.to_le_bytes());
        put(&mut b, 16, &(nsze / 2).to_le_bytes());
        b[25] = u8::try_from(formats.len()).unwrap_or(0).wrapping_sub(1);
        b[26] = flbas;
        for (i, (ms, lbads)) in formats.iter().enumerate() {
            put(&mut b, 128 + 4 * i, &ms.to_le_bytes());
            b[128 + 4 * i + 2] = *lbads;
            b[128 + 4 * i + 3] = 0xfe;
        }
        Ok(b)
    }

    /// Returns an active namespace list buffer holding `ids`.
    fn ns_list(ids: &[u32]) -> Result<KVec<u8>> {
        let mut b = buffer()?;
        for (i, id) in ids.iter().enumerate() {
            put(&mut b, 4 * i, &id.to_le_bytes());
        }
        Ok(b)
    }

    #[test]
    fn controller_fields() -> Result {
        let id = IdCtrl::parse(&ctrl()?)?;
        assert_eq!(id.vid, 0x1b36);
        assert_eq!(id.serial(), b"deadbeef");
        assert_eq!(id.model(), b"QEMU NVMe Ctrl");
        assert_eq!(id.firmware(), b"9.0.0");
        assert_eq!(id.mdts, 7);
        assert_eq!(id.cntlid, 0x0102);
        assert_eq!(id.ver, 0x0001_0400);
        assert_eq!(id.crdt, [1, 0x1234, 0xffff]);
        assert_eq!(id.oacs, 0x010a);
        assert!(id.supports_dbbuf());
        assert_eq!(id.nn, 256);
        assert!(id.supports_dsm());
        assert!(id.supports_write_zeroes());
        assert!(id.has_volatile_write_cache());
        assert!(id.supports_sgls());
        assert_eq!(id.sgls, 0x0010_0001);

        // The optional features, absent.
        let mut b = ctrl()?;
        put(&mut b, 256, &0x00ffu16.to_le_bytes());
        put(&mut b, 520, &0x0003u16.to_le_bytes());
        b[525] = 0x06;
        put(&mut b, 536, &0u32.to_le_bytes());
        let id = IdCtrl::parse(&b)?;
        assert!(!id.supports_dbbuf());
        assert!(!id.supports_dsm());
        assert!(!id.supports_write_zeroes());
        assert!(!id.has_volatile_write_cache());
        assert!(!id.supports_sgls());

        // Padding with NULs, and a field that is all padding.
        put(
            &mut b,
            4,
            &[
                b'A', 0, 0, b' ', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
        );
        put(&mut b, 64, b"        ");
        let id = IdCtrl::parse(&b)?;
        assert_eq!(id.serial(), b"A");
        assert_eq!(id.firmware(), b"");
        Ok(())
    }

    #[test]
    fn controller_rejects() -> Result {
        let b = ctrl()?;
        assert_eq!(IdCtrl::parse(&b[..4095]), Err(EINVAL));
        assert_eq!(IdCtrl::parse(&[]), Err(EINVAL));
        // No 64-byte submission entries.
        let mut b = ctrl()?;
        b[512] = 0x55;
        assert_eq!(IdCtrl::parse(&b), Err(EINVAL));
        b[512] = 0x77;
        assert_eq!(IdCtrl::parse(&b), Err(EINVAL));
        // No 16-byte completion entries.
        let mut b = ctrl()?;
        b[513] = 0x33;
        assert_eq!(IdCtrl::parse(&b), Err(EINVAL));
        // A range that includes the sizes is fine.
        b[513] = 0x54;
        b[512] = 0x76;
        assert!(IdCtrl::parse(&b).is_ok());
        Ok(())
    }

    #[test]
    fn max_transfer() -> Result {
        let mut id = IdCtrl::parse(&ctrl()?)?;
        let k4 = PageSize::SZ_4K;
        id.mdts = 0;
        assert_eq!(id.max_transfer_bytes(k4), MAX_TRANSFER_BYTES);
        id.mdts = 5;
        assert_eq!(id.max_transfer_bytes(k4), 128 * 1024);
        assert_eq!(id.max_transfer_bytes(PageSize::new(8192)?), 256 * 1024);
        id.mdts = 9;
        assert_eq!(id.max_transfer_bytes(k4), 2 << 20);
        id.mdts = 10;
        assert_eq!(id.max_transfer_bytes(k4), MAX_TRANSFER_BYTES);
        id.mdts = 5;
        assert_eq!(id.max_transfer_bytes(PageSize::SZ_64K), MAX_TRANSFER_BYTES);
        id.mdts = 1;
        assert_eq!(id.max_transfer_bytes(k4), 8192);
        // Shifts beyond the word size do not overflow.
        id.mdts = 60;
        assert_eq!(id.max_transfer_bytes(k4), MAX_TRANSFER_BYTES);
        id.mdts = 255;
        assert_eq!(id.max_transfer_bytes(PageSize::SZ_64K), MAX_TRANSFER_BYTES);
        Ok(())
    }

    /// The largest logical block the tests accept, as the block layer of a kernel with 4 KiB
    /// pages and without large folios.
    const MAX_LBA: u32 = 4096;

    /// Returns the geometry of the namespace in `b` (of the NVM command set).
    fn geometry(b: &[u8]) -> Result<Result<NsGeometry, Unusable>> {
        Ok(IdNs::parse(b)?.classify(CSI_NVM, MAX_LBA))
    }

    #[test]
    fn namespace_fields() -> Result {
        let id = IdNs::parse(&ns(0x10_0000, 1, &[(0, 9), (0, 12)])?)?;
        assert_eq!(id.nsze, 0x10_0000);
        assert_eq!(id.ncap, 0x10_0000);
        assert_eq!(id.nuse, 0x8_0000);
        assert_eq!(id.nlbaf, 1);
        assert_eq!(id.format, 1);
        assert_eq!(id.rp, 2);
        let g = id.classify(CSI_NVM, MAX_LBA).map_err(|_| EINVAL)?;
        assert_eq!(g.lba_shift(), 12);
        assert_eq!(g.lba_size(), 4096);
        assert_eq!(g.capacity_sectors(), 0x10_0000 * 8);

        let g = geometry(&ns(1000, 0, &[(0, 9), (0, 12)])?)?.map_err(|_| EINVAL)?;
        assert_eq!(g.lba_size(), 512);
        assert_eq!(g.capacity_sectors(), 1000);

        // Bits 4 (extended metadata) and 7 of FLBAS are not part of the index.
        let id = IdNs::parse(&ns(8, 0x90, &[(0, 16)])?)?;
        assert_eq!(id.format, 0);
        let g = id.classify(CSI_NVM, 65536).map_err(|_| EINVAL)?;
        assert_eq!(g.capacity_sectors(), 8 * 128);
        Ok(())
    }

    #[test]
    fn namespace_deallocate_zeroes() -> Result {
        // DLFEAT at byte 33: deallocated blocks read as zeroes (1) and Write Zeroes may
        // deallocate (bit 3); both are needed.
        let with = |dlfeat: u8| -> Result<bool> {
            let mut b = ns(8, 0, &[(0, 9)])?;
            b[33] = dlfeat;
            let id = IdNs::parse(&b)?;
            assert_eq!(id.dlfeat, dlfeat);
            Ok(id
                .classify(CSI_NVM, MAX_LBA)
                .map_err(|_| EINVAL)?
                .deallocate_zeroes)
        };
        assert!(with(0x09)?);
        assert!(with(0x19)?);
        assert!(!with(0x01)?);
        assert!(!with(0x08)?);
        assert!(!with(0x0a)?);
        assert!(!with(0x0f)?);
        assert!(!with(0)?);
        Ok(())
    }

    #[test]
    fn controller_nvm_limits() -> Result {
        let mut b = buffer()?;
        b[0] = 0xaa;
        b[1] = 7;
        b[2] = 0xbb;
        b[3] = 128;
        put(&mut b, 4, &0x0001_0000u32.to_le_bytes());
        put(&mut b, 8, &u64::MAX.to_le_bytes());
        assert_eq!(
            IdCtrlNvm::parse(&b)?,
            IdCtrlNvm {
                wzsl: 7,
                dmrl: 128,
                dmrsl: 0x1_0000
            }
        );
        assert_eq!(IdCtrlNvm::parse(&buffer()?)?, IdCtrlNvm::default());
        assert_eq!(IdCtrlNvm::parse(&b[..4095]), Err(EINVAL));
        Ok(())
    }

    #[test]
    fn namespace_format_index() -> Result {
        // 21 formats: bits 6:5 of FLBAS are the upper bits of the index, 0x21 selects 17.
        let mut formats = [(0u16, 9u8); 21];
        formats[17] = (0, 12);
        let id = IdNs::parse(&ns(64, 0x21, &formats)?)?;
        assert_eq!(id.format, 17);
        assert_eq!(id.lbads, 12);

        // 17 formats (NLBAF 16): the upper bits count too.
        let mut formats = [(0u16, 9u8); 17];
        formats[16] = (0, 13);
        let id = IdNs::parse(&ns(64, 0x20, &formats)?)?;
        assert_eq!(id.format, 16);
        assert_eq!(id.lbads, 13);

        // 16 formats or fewer: bits 6:5 are ignored.
        let id = IdNs::parse(&ns(64, 0x21, &[(0, 9), (0, 12), (0, 9), (0, 9)])?)?;
        assert_eq!(id.format, 1);
        assert_eq!(id.lbads, 12);

        // 64 formats, the last one.
        let mut formats = [(0u16, 9u8); 64];
        formats[63] = (0, 12);
        let id = IdNs::parse(&ns(64, 0x6f, &formats)?)?;
        assert_eq!(id.format, 63);
        assert_eq!(id.lbads, 12);
        Ok(())
    }

    #[test]
    fn namespace_classify() -> Result {
        // Short buffer: not even parsed.
        assert_eq!(IdNs::parse(&ns(8, 0, &[(0, 9)])?[..100]), Err(EINVAL));
        // Inactive namespace (all zeroes) and empty namespace.
        assert_eq!(geometry(&buffer()?)?, Err(Unusable::ZeroSize));
        assert_eq!(geometry(&ns(0, 0, &[(0, 9)])?)?, Err(Unusable::ZeroSize));
        // Format index beyond the formats listed.
        let bad = Unusable::Format {
            flbas: 2,
            format: 2,
            formats: 2,
        };
        assert_eq!(geometry(&ns(8, 2, &[(0, 9), (0, 12)])?)?, Err(bad));
        let formats = [(0u16, 9u8); 17];
        let bad = Unusable::Format {
            flbas: 0x21,
            format: 17,
            formats: 17,
        };
        assert_eq!(geometry(&ns(8, 0x21, &formats)?)?, Err(bad));
        // More formats than the structure holds.
        let mut b = ns(8, 0, &[(0, 9)])?;
        b[25] = 64;
        assert!(matches!(
            geometry(&b)?,
            Err(Unusable::Format { formats: 65, .. })
        ));
        // Metadata.
        assert_eq!(geometry(&ns(8, 0, &[(8, 9)])?)?, Err(Unusable::Metadata));
        assert_eq!(
            geometry(&ns(8, 1, &[(0, 9), (64, 12)])?)?,
            Err(Unusable::Metadata)
        );
        // Block sizes the block layer refuses: below 512 bytes, above its maximum.
        for lbads in [0u8, 8, 13, 16, 17, 63, 64, 200] {
            assert_eq!(
                geometry(&ns(8, 0, &[(0, lbads)])?)?,
                Err(Unusable::LbaSize { lbads })
            );
        }
        // The maximum is the caller's.
        let id = IdNs::parse(&ns(8, 0, &[(0, 16)])?)?;
        assert!(id.classify(CSI_NVM, 65536).is_ok());
        assert_eq!(
            id.classify(CSI_NVM, 32768),
            Err(Unusable::LbaSize { lbads: 16 })
        );
        // A size that overflows in 512-byte sectors.
        assert_eq!(
            geometry(&ns(u64::MAX >> 2, 0, &[(0, 12)])?)?,
            Err(Unusable::TooLarge {
                nsze: u64::MAX >> 2
            })
        );
        assert!(geometry(&ns(u64::MAX >> 3, 0, &[(0, 12)])?)?.is_ok());
        assert!(geometry(&ns(u64::MAX, 0, &[(0, 9)])?)?.is_ok());
        // Another command set.
        let id = IdNs::parse(&ns(8, 0, &[(0, 9)])?)?;
        assert_eq!(
            id.classify(2, MAX_LBA),
            Err(Unusable::CommandSet { csi: 2 })
        );
        // The first reason wins: zero size before metadata, metadata before the command set.
        let id = IdNs::parse(&ns(0, 0, &[(8, 9)])?)?;
        assert_eq!(id.classify(2, MAX_LBA), Err(Unusable::ZeroSize));
        let id = IdNs::parse(&ns(8, 0, &[(8, 9)])?)?;
        assert_eq!(id.classify(2, MAX_LBA), Err(Unusable::Metadata));
        Ok(())
    }

    #[test]
    fn namespace_reasons() -> Result {
        let says = |why: Unusable, want: &str| -> Result {
            let text = kernel::str::CString::try_from_fmt(fmt!("{}", why))?;
            assert_eq!(text.to_bytes(), want.as_bytes());
            Ok(())
        };
        says(Unusable::ZeroSize, "its size is zero")?;
        says(
            Unusable::Format {
                flbas: 0x21,
                format: 17,
                formats: 17,
            },
            "its FLBAS 0x21 names LBA format 17 of 17",
        )?;
        says(Unusable::Metadata, "its LBA format carries metadata")?;
        says(
            Unusable::LbaSize { lbads: 13 },
            "its LBA size 8192 is not supported by the block layer",
        )?;
        says(
            Unusable::LbaSize { lbads: 64 },
            "its LBA size 2^64 is not supported by the block layer",
        )?;
        says(
            Unusable::TooLarge { nsze: 1 << 62 },
            "its size of 4611686018427387904 blocks overflows 512-byte sectors",
        )?;
        says(
            Unusable::CommandSet { csi: 2 },
            "its command set 2 is not NVM",
        )?;
        Ok(())
    }

    /// Returns a Namespace Identification Descriptor list of `descs`, each `(type, value)`.
    fn descriptors(descs: &[(u8, &[u8])]) -> Result<KVec<u8>> {
        let mut b = buffer()?;
        let mut at = 0;
        for (nidt, value) in descs {
            b[at] = *nidt;
            b[at + 1] = u8::try_from(value.len()).unwrap_or(0);
            put(&mut b, at + 4, value);
            at += 4 + value.len();
        }
        Ok(b)
    }

    #[test]
    fn namespace_command_set() -> Result {
        let eui = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let uuid = [0xaau8; 16];
        // After other descriptors.
        let b = descriptors(&[(1, &eui), (3, &uuid), (NIDT_CSI, &[2])])?;
        assert_eq!(command_set(&b), Ok(2));
        assert_eq!(command_set(&descriptors(&[(NIDT_CSI, &[0])])?), Ok(CSI_NVM));
        // None: the NVM command set.
        assert_eq!(command_set(&descriptors(&[(1, &eui)])?), Ok(CSI_NVM));
        assert_eq!(command_set(&buffer()?), Ok(CSI_NVM));
        // A type of zero ends the list.
        let b = descriptors(&[(1, &eui), (0, &[]), (NIDT_CSI, &[2])])?;
        assert_eq!(command_set(&b), Ok(CSI_NVM));
        // A CSI descriptor of the wrong length is not one.
        let b = descriptors(&[(NIDT_CSI, &[2, 2]), (NIDT_CSI, &[3])])?;
        assert_eq!(command_set(&b), Ok(3));
        // A descriptor running past the end of the data ends the list.
        let mut b = buffer()?;
        b[4088] = 1;
        b[4089] = 16;
        assert_eq!(command_set(&b), Ok(CSI_NVM));
        let mut b = buffer()?;
        b[4090] = NIDT_CSI;
        b[4091] = 1;
        assert_eq!(command_set(&b), Ok(CSI_NVM));
        // A CSI in the last byte: 15 descriptors of 259 bytes and one of 206 lead to it.
        let mut descs = KVec::new();
        for _ in 0..15 {
            descs.push((2u8, &[0u8; 255][..]), GFP_KERNEL)?;
        }
        descs.push((2u8, &[0u8; 202][..]), GFP_KERNEL)?;
        let mut b = descriptors(&descs)?;
        b[4091] = NIDT_CSI;
        b[4092] = 1;
        b[4095] = 2;
        assert_eq!(command_set(&b), Ok(2));
        // Short buffer.
        assert_eq!(command_set(&b[..4095]), Err(EINVAL));
        Ok(())
    }

    #[test]
    fn active_namespaces() -> Result {
        let b = ns_list(&[1, 2, 5, 0, 7])?;
        let list = ActiveNsList::parse(&b)?;
        assert_eq!(list.len(), 3);
        assert!(list.len() != 0);
        assert!(!list.is_full());
        let mut it = list.iter();
        assert_eq!(it.next(), Some(1));
        assert_eq!(it.next(), Some(2));
        assert_eq!(it.next(), Some(5));
        assert_eq!(it.next(), None);
        assert_eq!(list.last(), Some(5));

        let b = ns_list(&[])?;
        let list = ActiveNsList::parse(&b)?;
        assert_eq!(list.len(), 0);
        assert_eq!(list.last(), None);

        let b = ns_list(&[0x1234_5678])?;
        assert_eq!(ActiveNsList::parse(&b)?.last(), Some(0x1234_5678));
        let b = ns_list(&[0xffff_fffe])?;
        assert_eq!(ActiveNsList::parse(&b)?.len(), 1);
        Ok(())
    }

    #[test]
    fn active_namespaces_full() -> Result {
        let mut b = buffer()?;
        for i in 0..NS_LIST_MAX {
            let id = u32::try_from(i).unwrap_or(0) * 3 + 10;
            put(&mut b, 4 * i, &id.to_le_bytes());
        }
        let list = ActiveNsList::parse(&b)?;
        assert_eq!(list.len(), 1024);
        assert!(list.is_full());
        assert_eq!(list.last(), Some(1023 * 3 + 10));
        assert_eq!(list.iter().count(), 1024);
        Ok(())
    }

    #[test]
    fn active_namespaces_reject() -> Result {
        assert!(ActiveNsList::parse(&ns_list(&[3, 3])?).is_err());
        assert!(ActiveNsList::parse(&ns_list(&[5, 2])?).is_err());
        assert!(ActiveNsList::parse(&ns_list(&[1, 2, 4, 3])?).is_err());
        assert!(ActiveNsList::parse(&ns_list(&[1, 0xffff_ffff])?).is_err());
        assert!(ActiveNsList::parse(&ns_list(&[1])?[..4092]).is_err());
        // Garbage after the terminating zero is ignored.
        assert_eq!(ActiveNsList::parse(&ns_list(&[4, 0, 2, 1])?)?.len(), 1);
        Ok(())
    }
}
